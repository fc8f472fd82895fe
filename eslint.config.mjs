// Lint rules: eslint's and typescript-eslint's recommended sets over the program, tools, tests and policies.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "policies/node_modules/", "bin/", "policies/bin/", ".venv/", ".drill/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { require: "readonly", module: "writable", process: "readonly", __dirname: "readonly", console: "readonly" },
    },
  },
  {
    rules: {
      "@typescript-eslint/no-require-imports": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  // The drill and rollout tooling drives processes: a promise nobody awaits is a failure nobody sees (issue #23 found
  // seven un-awaited cluster.start calls). Typed linting (slower), so only where it pays.
  {
    files: ["tools/**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { "@typescript-eslint/no-floating-promises": "error" },
  },
  // The platform seam as rules: SeaweedFS knowledge and the neutral core know no cloud and no Pulumi; a platform's
  // wing never reaches into the other's.
  {
    files: ["infra/seaweed/**/*.ts", "infra/topology.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["**/aws/**", "**/kubernetes/**", "@pulumi/*"], message: "infra/seaweed and infra/topology.ts are platform-neutral and Pulumi-free" }] }],
    },
  },
  {
    // The config layer: no platform's wing (a platform contributes what follows from its keys through the platform
    // registry, infra/platforms.ts, which imports the config layer and not the other way round) and no Pulumi.
    files: ["infra/config.ts", "infra/config/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/aws/**", "**/kubernetes/**", "**/aws", "**/kubernetes", "./platforms", "../platforms", "@pulumi/*"], message: "infra/config.ts and infra/config/ are the neutral config layer: a platform contributes its checks through infra/platforms.ts" }] },
      ],
    },
  },
  {
    // The neutral keys: no platform's wing and no network addressing (fixed IPs and CIDRs are AWS keys).
    files: ["infra/config/keys.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["**/aws/**", "**/kubernetes/**", "**/net", "@pulumi/*"], message: "config/keys.ts holds platform-neutral keys only; platform keys go to keys-aws.ts or keys-kubernetes.ts" }] }],
    },
  },
  {
    files: ["infra/aws/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: ["**/kubernetes/**", "@pulumi/kubernetes"], message: "the AWS wing does not use the Kubernetes one" }] }] },
  },
  {
    files: ["infra/kubernetes/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: ["**/aws/**", "@pulumi/aws"], message: "the Kubernetes wing does not use the AWS one" }] }] },
  },
);
