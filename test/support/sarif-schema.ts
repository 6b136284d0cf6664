/**
 * A validator for the OASIS SARIF 2.1.0 JSON schema (draft-04), as shipped
 * by Microsoft's SARIF SDK (`@microsoft/jest-sarif`); only the schema file
 * is used, with Ajv's draft-04 build.
 */
import Ajv from "ajv-draft-04";

export function sarifValidator() {
  const schema = require("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json") as object;
  // The schema's language pattern is not valid with the `u` flag; it predates it.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  return ajv.compile(schema);
}
