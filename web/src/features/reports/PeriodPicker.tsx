// Two dates, both days included, checked before anything is asked of the service (period.ts).
import { TextField } from "../../ui/form";
import type { Period, PeriodErrors } from "./period";

export function PeriodPicker({ value, onChange, errors, legend = "Period" }: {
  value: Period;
  onChange: (next: Period) => void;
  errors: PeriodErrors;
  legend?: string;
}) {
  return (
    <fieldset className="choices period-picker">
      <legend>{legend}</legend>
      <p className="hint">Both days are included. At most 5 years.</p>
      <div className="period-fields">
        <TextField label="From" type="date" required value={value.from} error={errors.from}
          onChange={(from) => onChange({ ...value, from })} />
        <TextField label="To" type="date" required value={value.to} error={errors.to}
          onChange={(to) => onChange({ ...value, to })} />
      </div>
    </fieldset>
  );
}
