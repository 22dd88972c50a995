import { useId, useRef, type FormEvent, type RefObject } from 'react';
import type { StreamSettings } from '../../api/stream';
import { limits, matchingPreset, parseSetting, presets, type SettingField } from './settings';

export interface StreamControlsProps {
  fpsText: string;
  qualityText: string;
  onChange: (field: SettingField, text: string) => void;
  /** Messages to show under each field (client validation or the server's 400 `field`). */
  fieldErrors: Partial<Record<SettingField, string>>;
  onValidationFailed: () => void;
  onStart: (settings: StreamSettings) => void;
  onStop: () => void;
  busy: 'start' | 'stop' | null;
}

// The broadcast form: presets, fps and quality, Start and Stop. Start is the form's submit button, so Enter
// in either field starts the stream. Invalid values are reported inline and nothing is sent.
export function StreamControls(props: StreamControlsProps) {
  const { fpsText, qualityText, onChange, fieldErrors, busy } = props;
  const fpsRef = useRef<HTMLInputElement>(null);
  const qualityRef = useRef<HTMLInputElement>(null);
  const current = matchingPreset(fpsText, qualityText);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const fps = parseSetting('fps', fpsText);
    const quality = parseSetting('quality', qualityText);
    if (fps.error !== undefined || quality.error !== undefined) {
      props.onValidationFailed();
      (fps.error !== undefined ? fpsRef : qualityRef).current?.focus();
      return;
    }
    props.onStart({ fps: fps.value, quality: quality.value });
  };

  return (
    <form className="controls" onSubmit={submit} noValidate aria-label="Broadcast settings">
      <fieldset className="presets">
        <legend className="field__label">Preset</legend>
        <div className="presets__row">
          {presets.map((preset) => (
            <button
              key={preset.id}
              type="button"
              className="preset"
              data-testid={`preset-${preset.id}`}
              aria-pressed={current?.id === preset.id}
              onClick={() => {
                onChange('fps', String(preset.fps));
                onChange('quality', String(preset.quality));
              }}
            >
              <span className="preset__label">{preset.label}</span>
              <span className="preset__detail">
                {preset.fps} fps · q{preset.quality}
              </span>
            </button>
          ))}
        </div>
      </fieldset>

      <div className="fields">
        <NumberField
          field="fps"
          inputRef={fpsRef}
          text={fpsText}
          unit="fps"
          error={fieldErrors.fps}
          onChange={(text) => onChange('fps', text)}
        />
        <NumberField
          field="quality"
          inputRef={qualityRef}
          text={qualityText}
          unit="%"
          error={fieldErrors.quality}
          onChange={(text) => onChange('quality', text)}
        />
      </div>

      <div className="actions">
        <button type="submit" className="button button--primary" data-testid="start-button" disabled={busy !== null}>
          <span className="button__dot" aria-hidden="true" />
          {busy === 'start' ? 'Starting…' : 'Start'}
        </button>
        <button
          type="button"
          className="button button--secondary"
          data-testid="stop-button"
          disabled={busy !== null}
          onClick={props.onStop}
        >
          <span className="button__square" aria-hidden="true" />
          {busy === 'stop' ? 'Stopping…' : 'Stop'}
        </button>
      </div>
    </form>
  );
}

interface NumberFieldProps {
  field: SettingField;
  inputRef: RefObject<HTMLInputElement | null>;
  text: string;
  unit: string;
  error: string | undefined;
  onChange: (text: string) => void;
}

function NumberField({ field, inputRef, text, unit, error, onChange }: NumberFieldProps) {
  const id = useId();
  const { min, max, label } = limits[field];
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  return (
    <div className={`field${error ? ' field--invalid' : ''}`}>
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      <div className="field__control">
        <input
          ref={inputRef}
          id={id}
          name={field}
          type="number"
          inputMode="numeric"
          min={min}
          max={max}
          step={1}
          value={text}
          onChange={(event) => onChange(event.target.value)}
          aria-invalid={error !== undefined}
          aria-describedby={error !== undefined ? `${errorId} ${hintId}` : hintId}
          data-testid={`${field}-input`}
        />
        <span className="field__unit" aria-hidden="true">
          {unit}
        </span>
      </div>
      <p id={hintId} className="field__hint">
        {min}–{max}
      </p>
      {error !== undefined && (
        <p id={errorId} className="field__error" data-testid={`${field}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}
