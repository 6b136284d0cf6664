// @ts-check
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", ".tools/**", ".state/**", ".local/**", "dist/**", "coverage/**"] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      // Dynamic providers must require their libraries inside methods so the
      // serialized closure captures no client (see FIELD-NOTES: serialization).
      "@typescript-eslint/no-require-imports": "off",
      "no-console": "off",
    },
  },
);
