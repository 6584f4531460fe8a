// The working-day calendar's overrides on top of the national calendar: list them, add a holiday
// (a closed day) or a make-up working day with a note, and remove one after confirming.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { call, del } from "../api.js";
import { ConfirmButton, Field, FormError, errorsOf } from "./fields.jsx";
import useList from "./useList.js";

function formatDay(day, language) {
  const [y, m, d] = day.split("-").map(Number);
  return new Intl.DateTimeFormat(language, { dateStyle: "full", timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, d)));
}

export default function Calendar() {
  const { t, i18n } = useTranslation();
  const { items, failed, reload } = useList("/calendar/overrides?page_size=200");
  const [draft, setDraft] = useState({ day: "", working: "false", note: "" });
  const [errors, setErrors] = useState({});
  const [removeError, setRemoveError] = useState(null);

  const submit = async (event) => {
    event.preventDefault();
    if (!/^\d{4}-\d{2}-\d{2}$/.test(draft.day)) return setErrors({ day: t("admin.calendar.dayMissing") });
    try {
      await call("PUT", `/calendar/overrides/${draft.day}`, { working: draft.working === "true", note: draft.note });
      setDraft({ ...draft, day: "", note: "" });
      setErrors({});
      await reload();
    } catch (error) {
      setErrors(errorsOf(error, t));
    }
  };
  const remove = async (day) => {
    try {
      await del(`/calendar/overrides/${day}`);
      setRemoveError(null);
    } catch (error) {
      setRemoveError(errorsOf(error, t)[""]);
    }
    await reload();
  };

  return (
    <div className="row g-4">
      <div className="col-lg-8">
        <h2 className="h5">{t("admin.calendar.list")}</h2>
        <p className="text-muted small">{t("admin.calendar.about")}</p>
        {failed && <div className="alert alert-warning">{t("app.loadFailed")}</div>}
        {removeError && <div className="alert alert-danger py-2">{removeError}</div>}
        {items === null ? (
          <p className="text-muted">{t("app.loading")}</p>
        ) : items.length === 0 ? (
          <p className="text-muted" data-testid="calendar-empty">{t("admin.calendar.none")}</p>
        ) : (
          <div className="table-responsive">
            <table className="table table-sm bg-white align-middle" data-testid="calendar">
              <thead>
                <tr>
                  <th scope="col">{t("admin.calendar.day")}</th>
                  <th scope="col">{t("admin.calendar.kind")}</th>
                  <th scope="col">{t("admin.calendar.note")}</th>
                  <th scope="col"><span className="visually-hidden">{t("admin.calendar.remove")}</span></th>
                </tr>
              </thead>
              <tbody>
                {items.map((o) => (
                  <tr key={o.day} data-day={o.day}>
                    <td><time dateTime={o.day}>{formatDay(o.day, i18n.language)}</time></td>
                    <td>
                      <span className={`badge ${o.working ? "bg-primary" : "bg-warning text-dark"}`}>
                        {t(o.working ? "admin.calendar.working" : "admin.calendar.closed")}
                      </span>
                    </td>
                    <td data-case-data>{o.note}</td>
                    <td>
                      <ConfirmButton label={t("admin.calendar.remove")} onConfirm={() => remove(o.day)}
                                     question={t("admin.calendar.removeQuestion", { day: formatDay(o.day, i18n.language) })} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      <form className="col-lg-4" noValidate onSubmit={submit} aria-labelledby="calendar-new">
        <h2 className="h5" id="calendar-new">{t("admin.calendar.new")}</h2>
        <FormError errors={errors} />
        <Field label={t("admin.calendar.day")} error={errors.day}>
          {(id, invalid, d) => (
            <input id={id} type="date" className={`form-control ${invalid ? "is-invalid" : ""}`} value={draft.day}
                   aria-describedby={d} onChange={(e) => setDraft({ ...draft, day: e.target.value })} />
          )}
        </Field>
        <fieldset className="mb-2">
          <legend className="form-label fs-6 mb-1">{t("admin.calendar.kind")}</legend>
          {["false", "true"].map((value) => (
            <div className="form-check" key={value}>
              <input className="form-check-input" type="radio" name="calendar-kind" id={`calendar-kind-${value}`}
                     value={value} checked={draft.working === value}
                     onChange={(e) => setDraft({ ...draft, working: e.target.value })} />
              <label className="form-check-label" htmlFor={`calendar-kind-${value}`}>
                {t(value === "true" ? "admin.calendar.addWorking" : "admin.calendar.addClosed")}
              </label>
            </div>
          ))}
        </fieldset>
        <Field label={t("admin.calendar.note")} error={errors.note}>
          {(id, invalid, d) => (
            <input id={id} className={`form-control ${invalid ? "is-invalid" : ""}`} value={draft.note}
                   aria-describedby={d} onChange={(e) => setDraft({ ...draft, note: e.target.value })} />
          )}
        </Field>
        <button type="submit" className="btn btn-success mt-2">{t("admin.calendar.add")}</button>
      </form>
    </div>
  );
}
