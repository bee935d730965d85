import { runLinkContract } from "./link_contract.ts";
import { spawnStdioChild } from "./stdio_link.ts";

runLinkContract({ name: "stdio", makeLink: spawnStdioChild });
