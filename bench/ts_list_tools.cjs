// The official TypeScript MCP client starting `pm-agent serve` over stdio: initialize + tools/list.
// Usage: node bench/ts_list_tools.cjs SDK_DIR RUNS COMMAND [ARGS...]
// SDK_DIR holds node_modules/@modelcontextprotocol/sdk (installed outside the repo, e.g. /tmp/tsclient).
// Prints one JSON line: {"sdk": version, "runs": [seconds...], "tools": n, "bytes": size of tools/list result}.
const path = require("path");

async function main() {
  const [sdkDir, runsText, command, ...args] = process.argv.slice(2);
  const sdk = path.join(sdkDir, "node_modules", "@modelcontextprotocol", "sdk");
  const { Client } = require(path.join(sdk, "dist", "cjs", "client", "index.js"));
  const { StdioClientTransport } = require(path.join(sdk, "dist", "cjs", "client", "stdio.js"));
  const version = require(path.join(sdk, "package.json")).version;
  const runs = [];
  let tools = 0;
  let bytes = 0;
  for (let i = 0; i < Number(runsText); i++) {
    const started = process.hrtime.bigint();
    const transport = new StdioClientTransport({ command, args, env: process.env, stderr: "ignore" });
    const client = new Client({ name: "pm-agent-bench", version: "0" });
    await client.connect(transport); // spawns the server and runs initialize
    const listed = await client.listTools();
    runs.push(Number(process.hrtime.bigint() - started) / 1e9);
    tools = listed.tools.length;
    bytes = Buffer.byteLength(JSON.stringify(listed));
    await client.close();
  }
  console.log(JSON.stringify({ sdk: version, runs, tools, bytes }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
