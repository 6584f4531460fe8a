// rjsf as the pages use it for data the server judges: the CSP-safe validator (src/validator.js), no
// validation in the browser and no error list: the API's 422 errors come back as ``extraErrors`` and
// show under their fields. Extra data is dropped unless a caller says otherwise.
import Form from "@rjsf/react-bootstrap";
import validator from "./validator.js";

export default function ServerJudgedForm(props) {
  return <Form validator={validator} noValidate showErrorList={false} omitExtraData {...props} />;
}
