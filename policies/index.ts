// The CrossGuard entry point: only constructs the pack (rules live in ./rules, which the tests import directly).
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./rules/all";

new PolicyPack(PACK_NAME, { policies });
