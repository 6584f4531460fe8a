// rjsf's validator, without code generation: the Content-Security-Policy forbids eval, which Ajv
// needs, so schemas are interpreted by @cfworker/json-schema (draft 2020-12). The task form is
// submitted with rjsf's `noValidate`: the server is the one judge of submitted data and its 422 errors
// are shown next to the fields. Here validation answers rjsf's questions about oneOf/anyOf branches.
import { Validator } from "@cfworker/json-schema";
import { toErrorSchema } from "@rjsf/utils";

const cache = new WeakMap();

function validatorFor(schema) {
  let validator = cache.get(schema);
  if (!validator) {
    validator = new Validator(schema, "2020-12", false);
    cache.set(schema, validator);
  }
  return validator;
}

function pathOf(instanceLocation) {
  return instanceLocation
    .replace(/^#/, "")
    .split("/")
    .filter(Boolean)
    .map((part) => decodeURIComponent(part.replace(/~1/g, "/").replace(/~0/g, "~")));
}

function run(schema, formData, rootSchema) {
  const full = rootSchema && rootSchema !== schema ? { ...rootSchema, ...schema } : schema;
  return validatorFor(full).validate(formData === undefined ? null : formData);
}

const validator = {
  validateFormData(formData, schema) {
    const result = run(schema, formData);
    const errors = result.errors
      .filter((e) => !["properties", "allOf", "anyOf", "oneOf", "if", "items", "$ref"].includes(e.keyword))
      .map((e) => {
        const path = pathOf(e.instanceLocation);
        return { name: e.keyword, property: "." + path.join("."), message: e.error, stack: e.error };
      });
    const errorSchema = toErrorSchema(errors);
    return { errors, errorSchema };
  },
  toErrorList(errorSchema, fieldPath = []) {
    if (!errorSchema) return [];
    let list = (errorSchema.__errors || []).map((message) => ({
      property: "." + fieldPath.join("."),
      message,
      stack: message,
    }));
    for (const [key, value] of Object.entries(errorSchema)) {
      if (key !== "__errors" && value && typeof value === "object") {
        list = list.concat(validator.toErrorList(value, [...fieldPath, key]));
      }
    }
    return list;
  },
  isValid(schema, formData, rootSchema) {
    try {
      return run(schema, formData, rootSchema).valid;
    } catch {
      return false;
    }
  },
  rawValidation(schema, formData) {
    return { errors: run(schema, formData).errors };
  },
  reset() {},
};

export default validator;
