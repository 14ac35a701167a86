// Compiles the test contracts (contracts/*.sol) with solc-js and writes build/contracts.json:
// { "compiler": "<solc version>", "contracts": { "<Name>": { "source", "abi", "bytecode" } } }.
// chainward-devnode (crates/testing/devnode) loads that file to deploy them on anvil.
// Run by scripts/setup.sh when the build is missing or older than a source; by hand:
//   node tools/evm/compile.mjs
import { createRequire } from "node:module";
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "package.json"));
const solc = require("solc");

const contractsDir = join(here, "contracts");
const buildDir = join(here, "build");
const outFile = join(buildDir, "contracts.json");

const sources = {};
for (const file of readdirSync(contractsDir).filter((f) => f.endsWith(".sol")).sort()) {
  sources[file] = { content: readFileSync(join(contractsDir, file), "utf8") };
}
if (Object.keys(sources).length === 0) {
  console.error(`compile.mjs: no .sol files in ${contractsDir}`);
  process.exit(1);
}

const input = {
  language: "Solidity",
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));

const errors = (output.errors ?? []).filter((e) => e.severity === "error");
for (const e of output.errors ?? []) {
  console.error(e.formattedMessage ?? e.message);
}
if (errors.length > 0) {
  console.error(`compile.mjs: ${errors.length} error(s); nothing written`);
  process.exit(1);
}

const contracts = {};
for (const [source, byName] of Object.entries(output.contracts ?? {})) {
  for (const [name, compiled] of Object.entries(byName)) {
    if (contracts[name]) {
      console.error(`compile.mjs: contract ${name} is defined in ${contracts[name].source} and ${source}`);
      process.exit(1);
    }
    contracts[name] = {
      source: `contracts/${source}`,
      abi: compiled.abi,
      bytecode: `0x${compiled.evm.bytecode.object}`,
    };
  }
}

mkdirSync(buildDir, { recursive: true });
// Write then rename, so a reader never sees half a file.
writeFileSync(`${outFile}.tmp`, `${JSON.stringify({ compiler: solc.version(), contracts }, null, 2)}\n`);
renameSync(`${outFile}.tmp`, outFile);
console.error(`compile.mjs: ${Object.keys(contracts).sort().join(", ")} -> ${outFile}`);
