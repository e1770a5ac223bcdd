import effect from "@effect/eslint-plugin"
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".vigil/**"] },
  ...tseslint.configs.recommended,
  ...effect.configs.dprint,
  {
    rules: {
      "@effect/dprint": [
        "error",
        {
          config: {
            indentWidth: 2,
            lineWidth: 120,
            semiColons: "asi",
            quoteStyle: "alwaysDouble",
            trailingCommas: "never",
            operatorPosition: "maintain",
            "arrowFunction.useParentheses": "force"
          }
        }
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error"
    }
  },
  {
    // the server imports platform modules by path: their index loads every module, the Swagger UI and
    // Scalar bundles with them (20 MB of source strings kept in the heap, a quarter of a second at startup)
    files: ["src/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: [
          { name: "@effect/platform", message: "import the module by path, e.g. @effect/platform/HttpClient" },
          {
            name: "@effect/platform-node",
            message: "import the module by path, e.g. @effect/platform-node/NodeRuntime"
          }
        ]
      }]
    }
  }
)
