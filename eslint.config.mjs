// @ts-check
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/**",
      ".tools/**",
      ".state/**",
      ".local/**",
      ".venv/**",
      "dist/**",
      "coverage/**",
      "test/**/fixtures/*-loader.js",
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      // The dynamic providers' loader requires its code inside its methods, so the
      // closure serialized into state captures no module, client or credential.
      "@typescript-eslint/no-require-imports": "off",
      "no-console": "off",
    },
  },
  {
    // The dynamic providers' boot file is plain CommonJS: it runs before ts-node is registered.
    files: ["**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: {
        require: "readonly",
        exports: "writable",
        module: "writable",
        __dirname: "readonly",
      },
    },
  },
);
