// Capturing what the streamer sends: camera + microphone, the screen (getDisplayMedia), or the screen with
// the camera in a corner (drawn on a canvas). Produces one video and at most one audio track.

export type SourceMode = 'camera' | 'screen' | 'both';

export interface Capture {
  mode: SourceMode;
  video: MediaStreamTrack;
  audio: MediaStreamTrack | null;
  /** What the preview shows (the outgoing tracks). */
  preview: MediaStream;
  /** Warnings a person should see, e.g. no microphone. */
  warnings: string[];
  /** Stops every track and drawing loop behind this capture. */
  stop: () => void;
}

export interface DeviceChoice {
  cameraId: string | null;
  microphoneId: string | null;
}

export class CaptureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureError';
  }
}

export async function capture(mode: SourceMode, devices: DeviceChoice, onScreenEnded: () => void): Promise<Capture> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new CaptureError('This browser cannot capture a camera here. Use a recent browser over https (or localhost).');
  }
  const owned: MediaStreamTrack[] = [];
  const warnings: string[] = [];
  try {
    let camera: MediaStreamTrack | null = null;
    let audio: MediaStreamTrack | null = null;
    let screen: MediaStreamTrack | null = null;

    if (mode === 'screen' || mode === 'both') {
      if (!navigator.mediaDevices.getDisplayMedia) throw new CaptureError('This browser cannot share the screen.');
      const display = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 30 }, audio: false }).catch((error: unknown) => {
        throw describeCaptureError(error, 'screen');
      });
      screen = display.getVideoTracks()[0] ?? null;
      if (screen === null) throw new CaptureError('Screen sharing gave no picture. Try again and pick a screen or window.');
      owned.push(screen);
      screen.addEventListener('ended', onScreenEnded);
    }

    const wantCamera = mode === 'camera' || mode === 'both';
    const videoConstraint: MediaTrackConstraints | false = wantCamera
      ? { ...(devices.cameraId ? { deviceId: { exact: devices.cameraId } } : {}), width: { ideal: 1280 }, height: { ideal: 720 } }
      : false;
    const audioConstraint: MediaTrackConstraints = devices.microphoneId ? { deviceId: { exact: devices.microphoneId } } : {};
    let user: MediaStream | null = null;
    try {
      user = await navigator.mediaDevices.getUserMedia({ video: videoConstraint, audio: audioConstraint });
    } catch (error) {
      const name = error instanceof DOMException ? error.name : '';
      if (name === 'NotFoundError' || name === 'OverconstrainedError') {
        // Maybe only the microphone is missing: try the camera alone (or go silent for a screen).
        if (wantCamera) {
          user = await navigator.mediaDevices.getUserMedia({ video: videoConstraint }).catch((again: unknown) => {
            throw describeCaptureError(again, 'camera');
          });
        }
        warnings.push('No microphone found: you are live without sound.');
      } else if (!wantCamera && name === 'NotAllowedError') {
        warnings.push('Microphone access was denied: you are sharing the screen without sound.');
      } else {
        throw describeCaptureError(error, 'camera');
      }
    }
    if (user !== null) {
      owned.push(...user.getTracks());
      camera = user.getVideoTracks()[0] ?? null;
      audio = user.getAudioTracks()[0] ?? null;
    }

    let video: MediaStreamTrack;
    let stopDrawing = () => {};
    if (mode === 'both' && screen !== null && camera !== null) {
      const composite = compose(screen, camera);
      video = composite.track;
      owned.push(video);
      stopDrawing = composite.stop;
    } else {
      const chosen = screen ?? camera;
      if (chosen === null) throw new CaptureError('No camera found. Connect one, or share your screen instead.');
      video = chosen;
    }
    video.contentHint = mode === 'camera' ? 'motion' : 'detail';
    const preview = new MediaStream([video]);
    const stop = () => {
      stopDrawing();
      screen?.removeEventListener('ended', onScreenEnded);
      for (const track of owned) track.stop();
    };
    return { mode, video, audio, preview, warnings, stop };
  } catch (error) {
    for (const track of owned) track.stop();
    throw error instanceof CaptureError ? error : describeCaptureError(error, 'camera');
  }
}

export async function listDevices(): Promise<{ cameras: MediaDeviceInfo[]; microphones: MediaDeviceInfo[] }> {
  if (!navigator.mediaDevices?.enumerateDevices) return { cameras: [], microphones: [] };
  const devices = await navigator.mediaDevices.enumerateDevices();
  return {
    cameras: devices.filter((d) => d.kind === 'videoinput' && d.deviceId !== ''),
    microphones: devices.filter((d) => d.kind === 'audioinput' && d.deviceId !== ''),
  };
}

function describeCaptureError(error: unknown, what: 'camera' | 'screen'): CaptureError {
  const name = error instanceof DOMException ? error.name : '';
  if (what === 'screen') {
    if (name === 'NotAllowedError') return new CaptureError('Screen sharing was cancelled or blocked. Press the button again and choose what to share.');
    return new CaptureError(`Could not share the screen: ${error instanceof Error ? error.message : String(error)}`);
  }
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return new CaptureError(
        'Camera access was denied. Allow the camera and microphone for this site (the camera icon in the address bar), then try again — or share your screen instead.',
      );
    case 'NotFoundError':
    case 'OverconstrainedError':
      return new CaptureError('No camera found. Connect one (or pick another in the list), or share your screen instead.');
    case 'NotReadableError':
    case 'AbortError':
      return new CaptureError('The camera is busy or failed to start. Close other apps that use it and try again.');
    default:
      return new CaptureError(`Could not start the camera: ${error instanceof Error ? error.message : String(error)}`);
  }
}

// Screen full size with the camera in the lower-right corner, drawn ~30 times a second on a canvas.
function compose(screen: MediaStreamTrack, camera: MediaStreamTrack): { track: MediaStreamTrack; stop: () => void } {
  const screenVideo = hiddenVideo(screen);
  const cameraVideo = hiddenVideo(camera);
  const settings = screen.getSettings();
  const canvas = document.createElement('canvas');
  canvas.width = settings.width ?? 1280;
  canvas.height = settings.height ?? 720;
  const context = canvas.getContext('2d');
  const draw = () => {
    if (context === null) return;
    if (screenVideo.videoWidth > 0 && (canvas.width !== screenVideo.videoWidth || canvas.height !== screenVideo.videoHeight)) {
      canvas.width = screenVideo.videoWidth;
      canvas.height = screenVideo.videoHeight;
    }
    context.drawImage(screenVideo, 0, 0, canvas.width, canvas.height);
    if (cameraVideo.videoWidth > 0) {
      const w = Math.round(canvas.width * 0.25);
      const h = Math.round((w * cameraVideo.videoHeight) / cameraVideo.videoWidth);
      const margin = Math.round(canvas.width * 0.02);
      context.drawImage(cameraVideo, canvas.width - w - margin, canvas.height - h - margin, w, h);
    }
  };
  // setInterval, not requestAnimationFrame: the studio tab keeps sending while in the background.
  const timer = setInterval(draw, 33);
  const track = canvas.captureStream(30).getVideoTracks()[0];
  if (track === undefined) throw new CaptureError('This browser cannot combine the screen and the camera.');
  return {
    track,
    stop: () => {
      clearInterval(timer);
      screenVideo.srcObject = null;
      cameraVideo.srcObject = null;
    },
  };
}

function hiddenVideo(track: MediaStreamTrack): HTMLVideoElement {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([track]);
  void video.play().catch(() => {});
  return video;
}
