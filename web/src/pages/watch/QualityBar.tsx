import type { Layer, QualityChoice } from '../../live/mediaMode';
import { qualityChoices } from '../../live/mediaMode';
import '../../live/serverMedia.css';

// Janus mode: which simulcast layer the viewer asks for (auto lets the server pick from the link's
// reports) and the layer the server actually sends (from `quality` messages).
export function QualityBar({
  requested,
  layer,
  onChoose,
}: {
  requested: QualityChoice;
  layer: Layer | null;
  onChoose: (quality: QualityChoice) => void;
}) {
  return (
    <div className="quality-bar">
      <label>
        <span>Quality</span>
        <select
          className="input input--small"
          data-testid="quality-select"
          value={requested}
          onChange={(event) => {
            const choice = qualityChoices.find((q) => q === event.target.value);
            if (choice !== undefined) onChoose(choice);
          }}
        >
          {qualityChoices.map((choice) => (
            <option key={choice} value={choice}>
              {choiceLabels[choice]}
            </option>
          ))}
        </select>
      </label>
      <span className="muted">
        Receiving:{' '}
        <strong className="quality-layer" data-testid="quality-layer" data-layer={layer ?? ''}>
          {layer ?? '–'}
        </strong>
      </span>
    </div>
  );
}

const choiceLabels: Record<QualityChoice, string> = {
  auto: 'Auto (best your connection carries)',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
};
