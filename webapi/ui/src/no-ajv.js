// Stands in for @rjsf/validator-ajv8, which only @rjsf/core's test helper (getTestRegistry) imports:
// Ajv compiles schemas with eval, which the Content-Security-Policy forbids. See validator.js.
import validator from "./validator.js";

export default validator;
