import { detectJail } from "./jail.ts";
import { BubblewrapJail } from "./bubblewrap.ts";
import { FlagsOnlyJail } from "./flags_only.ts";
import { runJailContract } from "./jail_contract.ts";

runJailContract("flags-only", () => Promise.resolve(new FlagsOnlyJail("contract test")));

const CI = Deno.env.get("SYNCRA_CI") === "1";
const detected = await detectJail({ require: CI });
if (detected instanceof BubblewrapJail) {
  runJailContract("bubblewrap", () => Promise.resolve(detected));
} else console.warn(`Skipping the bubblewrap jail contract: ${detected.description}`);
