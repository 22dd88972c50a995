// Media benchmark: peer-to-peer (the streamer's browser sends one copy per viewer) against --media janus (the
// streamer uploads once, three simulcast layers, to Janus 1.1.2's VideoRoom, which forwards to every viewer).
// Run it with bench/media_bench.sh (it makes the network namespace Janus needs and bounds the whole run).
// Method and columns: bench/README.md; results: docs/BENCHMARKS.md.
//
// For each round, each viewer count N in COUNTS and each mode (back to back: p2p 1, janus 1, p2p 3, ...; even
// rounds run the modes in reverse order): a fresh stream; the streamer page, alone in its own Chromium,
// publishes a canvas "camera" that draws the current time (performance.timeOrigin + performance.now(), ms) as
// black/white blocks; N viewers join at once in one page of a second Chromium (each its own WebSocket, peer
// connection and <video>); after a warm-up, a fixed window measures the streamer's upload (outbound-rtp
// bytesSent of all its peer connections), the CPU of each browser's whole process tree, of Janus and of redred
// (/proc/<pid>/stat), the viewers' decoded fps, and glass-to-glass latency (each viewer reads the stamp from
// the frames it shows, requestVideoFrameCallback, and subtracts it from the frame's display time). Then PROBES
// extra viewers join one at a time (join → first frame). Prints Markdown tables; raw JSON goes to OUT_DIR.
//
// Env: MODES ("p2p janus"), COUNTS ("1 3 6 12"), ROUNDS (2), WARMUP_S (5), WINDOW_S (10), PROBES (3), WIDTH (640),
// HEIGHT (360), FPS (30), TOP_KBPS (700: P2P's one layer and Janus's top layer), MID_KBPS (250), LOW_KBPS (80),
// STAMP_EVERY (3: read the stamp on every 3rd shown frame), DEGRADATION (maintain-resolution; '' = Chromium's
// default), FORCE_TOP (1: a Janus viewer showing less than the top layer asks for it, counted), SIMULCAST_LIMIT
// (0: lift Chromium's resolution-based simulcast layer limit so 640x360 really sends 3 layers), TOTAL_LIMIT_S
// (480: no step starts after it), OUT_DIR. RENDER_FROM=<an OUT_DIR> prints an earlier run's tables again.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, readdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { chromiumArgs, chromiumPath, webRoot } from '../tests/node/lib/browser.mjs';
import { startJanus } from '../tests/node/lib/janus.mjs';
import { createStream, register } from '../tests/node/lib/live.mjs';
import { protocolPage } from '../tests/node/lib/media.mjs';
import { startRedred, sleep } from '../tests/node/lib/redred.mjs';

const require = createRequire(new URL('../tests/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const env = (k, d) => process.env[k] ?? d;
const MODES = env('MODES', 'p2p janus').split(/\s+/).filter(Boolean);
const COUNTS = env('COUNTS', '1 3 6 12').split(/\s+/).filter(Boolean).map(Number);
const WARMUP_S = Number(env('WARMUP_S', 5));
const WINDOW_S = Number(env('WINDOW_S', 10));
const PROBES = Number(env('PROBES', 3));
const ROUNDS = Number(env('ROUNDS', 2));
const WIDTH = Number(env('WIDTH', 640));
const HEIGHT = Number(env('HEIGHT', 360));
const FPS = Number(env('FPS', 30));
const TOP_KBPS = Number(env('TOP_KBPS', 700));
const MID_KBPS = Number(env('MID_KBPS', 250));
const LOW_KBPS = Number(env('LOW_KBPS', 80));
const STAMP_EVERY = Number(env('STAMP_EVERY', 3));
const FORCE_TOP = env('FORCE_TOP', '1') === '1';
const DEGRADATION = env('DEGRADATION', 'maintain-resolution'); // '' = Chromium's default (balanced)
const SIMULCAST_LIMIT = env('SIMULCAST_LIMIT', '0') === '1';
const TOTAL_LIMIT_S = Number(env('TOTAL_LIMIT_S', 480));
const OUT_DIR = env('OUT_DIR', path.join(os.tmpdir(), `media_bench.${process.pid}`));
const JOIN_TIMEOUT_MS = 20000;
mkdirSync(OUT_DIR, { recursive: true });
const started = Date.now();
const deadline = started + TOTAL_LIMIT_S * 1000;
const rawFile = path.join(OUT_DIR, 'steps.jsonl');
const log = (...a) => console.error(`[media_bench ${((Date.now() - started) / 1000).toFixed(1)}s]`, ...a);

// ------------------------------------------------------------------------------------------------------------
// Page code (serialized into every page). window.mb: the stamp code, the canvas camera, publishers, viewers.
function benchPage(cfg) {
  const COLS = 20; const ROWS = 4; // row 0: reference (even columns white, odd black); rows 1-3: 60 data bits
  const BAND = 80; // px of the 360-px frame (scaled with the frame)
  const nowMs = () => performance.timeOrigin + performance.now();

  // 44-bit stamp (ms, LSB first) + Fletcher-style 8+8-bit check over its four 11-bit chunks.
  function stampBits(stamp) {
    const bits = [];
    const chunks = [];
    let s = stamp;
    for (let i = 0; i < 4; i++) { chunks.push(s % 2048); s = Math.floor(s / 2048); }
    let c1 = 0; let c2 = 0;
    for (const c of chunks) { c1 = (c1 + c) % 255; c2 = (c2 + c1) % 255; }
    for (const c of chunks) for (let b = 0; b < 11; b++) bits.push((c >> b) & 1);
    for (let b = 0; b < 8; b++) bits.push((c1 >> b) & 1);
    for (let b = 0; b < 8; b++) bits.push((c2 >> b) & 1);
    return bits; // 60
  }
  function drawStamp(ctx, w, stamp) {
    const bw = w / COLS; const bh = BAND / ROWS * (cfg.height / 360);
    const bits = stampBits(stamp);
    for (let c = 0; c < COLS; c++) {
      ctx.fillStyle = c % 2 === 0 ? '#fff' : '#000';
      ctx.fillRect(c * bw, 0, bw, bh);
    }
    for (let i = 0; i < 60; i++) {
      ctx.fillStyle = bits[i] ? '#fff' : '#000';
      ctx.fillRect((i % COLS) * bw, (1 + Math.floor(i / COLS)) * bh, bw, bh);
    }
  }
  // Reads the stamp from any image source whose top BAND/360 of the height holds the code; null if the check fails.
  const small = document.createElement('canvas');
  small.width = COLS * 4; small.height = ROWS * 4;
  const sctx = small.getContext('2d', { willReadFrequently: true });
  function readStamp(source, sw, sh) {
    sctx.drawImage(source, 0, 0, sw, sh * BAND / 360, 0, 0, small.width, small.height);
    const px = sctx.getImageData(0, 0, small.width, small.height).data;
    const lum = (c, r) => { const o = ((r * 4 + 2) * small.width + c * 4 + 2) * 4; return (px[o] + px[o + 1] + px[o + 2]) / 3; };
    return decodeBlocks(lum);
  }
  // lum(column, row): the brightness at a block's centre.
  function decodeBlocks(lum) {
    let white = 0; let black = 0;
    for (let c = 0; c < COLS; c++) { if (c % 2 === 0) white += lum(c, 0); else black += lum(c, 0); }
    white /= COLS / 2; black /= COLS / 2;
    if (white - black < 60) return { stamp: null, why: 'contrast' };
    const mid = (white + black) / 2;
    const bits = [];
    for (let i = 0; i < 60; i++) bits.push(lum(i % COLS, 1 + Math.floor(i / COLS)) > mid ? 1 : 0);
    const chunks = [];
    for (let k = 0; k < 4; k++) { let v = 0; for (let b = 0; b < 11; b++) v |= bits[k * 11 + b] << b; chunks.push(v); }
    let c1 = 0; let c2 = 0;
    for (const c of chunks) { c1 = (c1 + c) % 255; c2 = (c2 + c1) % 255; }
    let r1 = 0; let r2 = 0;
    for (let b = 0; b < 8; b++) { r1 |= bits[44 + b] << b; r2 |= bits[52 + b] << b; }
    if (r1 !== c1 || r2 !== c2) return { stamp: null, why: 'check' };
    return { stamp: chunks[0] + chunks[1] * 2048 + chunks[2] * 2048 ** 2 + chunks[3] * 2048 ** 3 };
  }

  // The same from the frame a <video> presents now, without converting it to RGB: a VideoFrame made from the
  // element references the decoded I420/NV12 picture, and only the band's rows of its luma plane are copied.
  // Falls back to readStamp (canvas drawImage) for other pixel formats.
  async function readStampFromVideo(video, w, h, mediaTime) {
    let vf;
    try { vf = new VideoFrame(video); } catch { return { ...readStamp(video, w, h), path: 'canvas' }; }
    try {
      // The element may already hold a newer frame than the one this callback is about: then skip it.
      if (mediaTime !== undefined && Math.abs(vf.timestamp / 1e6 - mediaTime) > 0.0005) return { stamp: null, why: 'newer', path: 'videoframe' };
      if (!/^(I420|I420A|NV12|I422|I444)/.test(vf.format ?? '')) return { ...readStamp(video, w, h), path: 'canvas' };
      const vr = vf.visibleRect;
      const bandH = Math.min(vr.height, 2 * Math.round(vr.height * BAND / 360 / 2));
      const rect = { x: vr.x, y: vr.y, width: vr.width, height: bandH };
      const buf = new Uint8Array(vf.allocationSize({ rect }));
      const layout = await vf.copyTo(buf, { rect });
      const { offset, stride } = layout[0];
      const bw = vr.width / COLS; const bh = bandH / ROWS;
      const lum = (c, r) => {
        const cx = Math.floor((c + 0.5) * bw); const cy = Math.floor((r + 0.5) * bh);
        let sum = 0; let k = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) { sum += buf[offset + (cy + dy) * stride + cx + dx]; k += 1; }
        return sum / k;
      };
      return { ...decodeBlocks(lum), path: 'videoframe' };
    } finally { vf.close(); }
  }

  // The canvas "camera": the fake camera scaled under the stamp band, a moving bar, a noise patch (so the
  // encoder has real work and its rate control, not the content, sets the bitrate), the stamp drawn last.
  async function camera() {
    const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480, frameRate: 30 } });
    const cam = document.createElement('video');
    cam.muted = true; cam.playsInline = true;
    cam.srcObject = new MediaStream(media.getVideoTracks());
    await cam.play();
    const canvas = document.createElement('canvas');
    canvas.width = cfg.width; canvas.height = cfg.height;
    const ctx = canvas.getContext('2d');
    const track = canvas.captureStream(0).getVideoTracks()[0];
    const noise = ctx.createImageData(Math.round(cfg.width / 6), Math.round(cfg.height / 6));
    const band = BAND * cfg.height / 360;
    const src = { canvas, ctx, track, audio: media.getAudioTracks()[0], frames: 0, lateTicks: 0, media, cam };
    let last = performance.now();
    src.timer = setInterval(() => {
      const t = performance.now();
      if (t - last > 2000 / cfg.fps) src.lateTicks += 1;
      last = t;
      ctx.drawImage(cam, 0, band, cfg.width, cfg.height - band);
      const x = (src.frames * 7) % cfg.width;
      ctx.fillStyle = `hsl(${(src.frames * 5) % 360} 80% 50%)`;
      ctx.fillRect(x, band, cfg.width / 16, cfg.height - band);
      const d = noise.data;
      for (let i = 0; i < d.length; i += 4) { const v = (Math.random() * 256) | 0; d[i] = v; d[i + 1] = v; d[i + 2] = v; d[i + 3] = 255; }
      ctx.putImageData(noise, cfg.width - noise.width - 8, cfg.height - noise.height - 8);
      drawStamp(ctx, cfg.width, Math.round(nowMs()));
      track.requestFrame();
      src.frames += 1;
    }, 1000 / cfg.fps);
    src.stop = () => { clearInterval(src.timer); track.stop(); media.getTracks().forEach((t) => t.stop()); };
    return src;
  }

  // Decodes the stamp straight off the source canvas (no codec): proves the code round-trips.
  async function selfTest(src, n = 20) {
    let ok = 0; let bad = 0; let maxAge = 0;
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setTimeout(r, 1000 / cfg.fps));
      const t = nowMs();
      const r = readStamp(src.canvas, cfg.width, cfg.height);
      if (r.stamp === null || r.stamp > t + 1) bad += 1; else { ok += 1; maxAge = Math.max(maxAge, t - r.stamp); }
    }
    return { ok, bad, maxAgeMs: Math.round(maxAge) };
  }

  // Same picture in both modes: keep the full resolution, let frame rate and quality give way (reported).
  async function preferResolution(sender) {
    if (!cfg.degradation) return null;
    try {
      const p = sender.getParameters();
      p.degradationPreference = cfg.degradation;
      await sender.setParameters(p);
      return sender.getParameters().degradationPreference ?? null;
    } catch (e) { return `failed: ${e.message}`; }
  }

  const layers = () => [
    { rid: 'h', maxBitrate: cfg.topKbps * 1000, maxFramerate: cfg.fps },
    { rid: 'm', scaleResolutionDownBy: 2, maxBitrate: cfg.midKbps * 1000, maxFramerate: cfg.fps },
    { rid: 'l', scaleResolutionDownBy: 4, maxBitrate: cfg.lowKbps * 1000, maxFramerate: cfg.fps },
  ];

  // janus mode: one peer connection to the server, video in three simulcast layers (docs/PROTOCOL.md).
  async function publishServer(socket, src) {
    const pc = new RTCPeerConnection({ iceServers: [] });
    const ms = new MediaStream();
    const video = pc.addTransceiver(src.track, { direction: 'sendonly', streams: [ms], sendEncodings: layers() });
    pc.addTransceiver(src.audio, { direction: 'sendonly', streams: [ms] });
    pc.onicecandidate = (e) => socket.send({ type: 'ice_candidate', peer: 'server', candidate: e.candidate ? e.candidate.toJSON() : null });
    socket.on('ice_candidate', (m) => { if (m.peer === 'server' && m.candidate) pc.addIceCandidate(m.candidate).catch(() => {}); });
    await pc.setLocalDescription(await pc.createOffer());
    socket.send({ type: 'offer', peer: 'server', sdp: pc.localDescription.sdp });
    const answer = await socket.next('answer', (m) => m.peer === 'server');
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    const degradation = await preferResolution(video.sender);
    return { pcs: () => [pc], degradation: () => [degradation] };
  }

  // p2p mode: one peer connection per viewer connection (`user_joined`), one full-resolution layer each.
  function publishP2P(socket, src) {
    const peers = new Map();
    socket.on('user_joined', (m) => {
      const id = m.connection_id;
      if (peers.has(id)) return;
      const pc = new RTCPeerConnection({ iceServers: [] });
      peers.set(id, pc);
      const ms = new MediaStream();
      const video = pc.addTransceiver(src.track, { direction: 'sendonly', streams: [ms], sendEncodings: [{ maxBitrate: cfg.topKbps * 1000, maxFramerate: cfg.fps }] });
      pc.__video = video.sender;
      pc.addTransceiver(src.audio, { direction: 'sendonly', streams: [ms] });
      pc.onicecandidate = (e) => { if (e.candidate && peers.get(id) === pc) socket.send({ type: 'ice_candidate', target: id, candidate: e.candidate.toJSON() }); };
      (async () => {
        await pc.setLocalDescription(await pc.createOffer());
        socket.send({ type: 'offer', target: id, sdp: pc.localDescription.sdp });
      })().catch(() => {});
    });
    socket.on('user_left', (m) => { const pc = peers.get(m.connection_id); if (pc) { pc.close(); peers.delete(m.connection_id); } });
    const degradations = [];
    socket.on('answer', (m) => {
      const pc = peers.get(m.from);
      if (pc && m.sdp) pc.setRemoteDescription({ type: 'answer', sdp: m.sdp }).then(() => preferResolution(pc.__video)).then((d) => degradations.push(d)).catch(() => {});
    });
    socket.on('ice_candidate', (m) => { const pc = peers.get(m.from); if (pc && m.candidate) pc.addIceCandidate(m.candidate).catch(() => {}); });
    return { pcs: () => [...peers.values()], degradation: () => degradations };
  }

  async function startStreamer(streamId, token, mode) {
    const src = await camera();
    const selftest = await selfTest(src);
    const socket = await rr.Socket.open(streamId, token);
    const established = await socket.next('connection_established');
    const pub = mode === 'janus' ? await publishServer(socket, src) : publishP2P(socket, src);
    window.streamer = { src, socket, pub, established };
    return { selftest, media: established.media };
  }

  // Outbound totals of the streamer's peer connections, and each video encoding's state.
  async function streamerStats() {
    const out = { t: nowMs(), bytes: 0, videoBytes: 0, headerBytes: 0, retransmitted: 0, pcs: 0, encodings: [], framesDrawn: window.streamer.src.frames,
      lateTicks: window.streamer.src.lateTicks, degradation: window.streamer.pub.degradation() };
    for (const pc of window.streamer.pub.pcs()) {
      const pcIndex = out.pcs;
      out.pcs += 1;
      const report = await pc.getStats();
      report.forEach((s) => {
        if (s.type !== 'outbound-rtp') return;
        out.bytes += s.bytesSent ?? 0;
        out.headerBytes += s.headerBytesSent ?? 0;
        out.retransmitted += s.retransmittedBytesSent ?? 0;
        if (s.kind === 'video') {
          out.videoBytes += s.bytesSent ?? 0;
          out.encodings.push({ key: `${pcIndex}:${s.ssrc}`, rid: s.rid ?? null, active: s.active, w: s.frameWidth ?? 0, h: s.frameHeight ?? 0, fps: s.framesPerSecond ?? 0,
            framesEncoded: s.framesEncoded ?? 0, encodeTime: s.totalEncodeTime ?? 0, limit: s.qualityLimitationReason ?? null, bytes: s.bytesSent ?? 0,
            retransmitted: s.retransmittedBytesSent ?? 0, target: s.targetBitrate ?? null, keyFrames: s.keyFramesEncoded ?? 0, nack: s.nackCount ?? 0, pli: s.pliCount ?? 0, fir: s.firCount ?? 0 });
        }
      });
    }
    return out;
  }

  // Viewers: each its own WebSocket (a guest), peer connection and small <video>.
  window.viewers = [];
  async function joinViewer(streamId, mode, { sample = true } = {}) {
    const v = { idx: window.viewers.length, tConnect: performance.now(), tOpen: null, tFirst: null, pc: null, from: null, frames: 0,
      lastStamp: -1, samples: [], paths: {}, rtpResid: [], raced: 0, staleDisplay: 0, implausibleVals: [], fixes: 0, lastFix: -1e9, decodeFail: 0, checkFail: 0, nonMonotonic: 0, implausible: 0, offers: 0, sample };
    window.viewers.push(v);
    const video = document.createElement('video');
    video.muted = true; video.autoplay = true; video.playsInline = true;
    video.style.cssText = 'width:96px;height:54px;margin:1px';
    document.body.appendChild(video);
    v.video = video;
    const socket = await rr.Socket.open(streamId, null);
    v.tOpen = performance.now();
    v.socket = socket;
    socket.on('offer', (m) => {
      const server = m.peer === 'server';
      if (server !== (mode === 'janus')) return;
      if (!server && v.pc && v.from === m.from) return; // one peer connection per streamer connection
      v.offers += 1;
      v.pc?.close();
      const pc = new RTCPeerConnection({ iceServers: [] });
      v.pc = pc; v.from = server ? null : m.from;
      pc.ontrack = (e) => { if (v.pc === pc && video.srcObject !== e.streams[0]) { video.srcObject = e.streams[0]; video.play().catch(() => {}); } };
      pc.onicecandidate = (e) => {
        if (v.pc !== pc) return;
        if (server) socket.send({ type: 'ice_candidate', peer: 'server', candidate: e.candidate ? e.candidate.toJSON() : null });
        else if (e.candidate) socket.send({ type: 'ice_candidate', target: m.from, candidate: e.candidate.toJSON() });
      };
      (async () => {
        await pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        if (server) socket.send({ type: 'answer', peer: 'server', sdp: pc.localDescription.sdp });
        else socket.send({ type: 'answer', target: m.from, sdp: pc.localDescription.sdp });
      })().catch(() => {});
    });
    socket.on('ice_candidate', (m) => {
      if (!v.pc || !m.candidate) return;
      if ((mode === 'janus' && m.peer === 'server') || (mode !== 'janus' && m.from === v.from)) v.pc.addIceCandidate(m.candidate).catch(() => {});
    });
    const onFrame = (now, md) => {
      v.frames += 1;
      if (v.tFirst === null) v.tFirst = md.presentationTime;
      v.lastMd = { w: md.width, h: md.height, presentedFrames: md.presentedFrames };
      // Janus mode: every viewer should get the top layer; one that shows a smaller one asks for it (counted).
      if (mode === 'janus' && cfg.forceTop && v.frames > 3 && md.width < cfg.width * 0.9 && now - v.lastFix > 3000) {
        v.lastFix = now; v.fixes += 1;
        socket.send({ type: 'set_quality', quality: 'high' });
      }
      if (v.sample && v.frames % cfg.stampEvery === 0) {
        // Glass: when the frame is expected on screen. Headless Chromium now and then hands out a stale
        // expectedDisplayTime, up to ~120 ms before the frame was even submitted (presentationTime): then the
        // submission time is used, since a frame is never shown before it is submitted (counted: staleDisplay).
        const stale = md.expectedDisplayTime < md.presentationTime - 5;
        if (stale) v.staleDisplay += 1;
        const glass = performance.timeOrigin + Math.max(md.expectedDisplayTime, md.presentationTime);
        const rtp = md.rtpTimestamp;
        // For the cross-checks: when the frame's packets were received, and when this callback really ran.
        const received = md.receiveTime !== undefined ? performance.timeOrigin + md.receiveTime : null;
        const ran = nowMs();
        readStampFromVideo(video, md.width, md.height, md.mediaTime).then((r) => {
          v.paths[r.path] = (v.paths[r.path] ?? 0) + 1;
          if (r.stamp === null) { if (r.why === 'check') v.checkFail += 1; else if (r.why === 'newer') v.raced += 1; else v.decodeFail += 1; return; }
          if (r.stamp <= v.lastStamp) v.nonMonotonic += 1;
          v.lastStamp = r.stamp;
          const lat = glass - r.stamp;
          // Counted as a stamp error and left out of the latency figures.
          const extra = [received !== null ? Math.round(received - r.stamp) : null, Math.round(ran - r.stamp), Math.round(md.expectedDisplayTime - md.presentationTime)];
          if (lat < 0 || lat > 5000) { v.implausible += 1; if (v.implausibleVals.length < 5) v.implausibleVals.push([Math.round(lat), ...extra]); return; }
          v.samples.push([Math.round(glass), Math.round(lat * 10) / 10, ...extra]);
          // Cross-check: the stamp must advance with the frame's RTP timestamp (90 kHz, set at capture).
          if (rtp !== undefined) {
            if (v.rtp0 === undefined) { v.rtp0 = rtp; v.stamp0 = r.stamp; v.rtpPrev = rtp; v.rtpWraps = 0; }
            if (rtp < v.rtpPrev - 2 ** 31) v.rtpWraps += 1;
            v.rtpPrev = rtp;
            v.rtpResid.push((r.stamp - v.stamp0) - (rtp + v.rtpWraps * 2 ** 32 - v.rtp0) / 90);
          }
        }).catch(() => { v.decodeFail += 1; });
      }
      if (!v.stopped) video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    return v.idx;
  }
  function leaveViewer(idx) {
    const v = window.viewers[idx];
    v.stopped = true;
    v.pc?.close();
    v.socket?.close();
    v.video.srcObject = null;
    v.video.remove();
  }
  async function viewerStats(indices) {
    const out = [];
    for (const i of indices) {
      const v = window.viewers[i];
      const s = { idx: i, t: nowMs(), frames: v.frames, framesDecoded: 0, framesDropped: 0, framesReceived: 0, w: 0, h: 0, bytes: 0, packetsLost: 0,
        jbDelay: 0, jbCount: 0, jbTarget: 0, freezes: 0, decodeTime: 0, jitter: 0, nack: 0, pli: 0, keyFrames: 0, firstMs: v.tFirst !== null && v.tOpen !== null ? v.tFirst - v.tOpen : null,
        connectMs: v.tOpen !== null ? v.tOpen - v.tConnect : null, offers: v.offers, fixes: v.fixes, lastMd: v.lastMd ?? null };
      if (v.pc) {
        const report = await v.pc.getStats();
        report.forEach((r) => {
          if (r.type === 'inbound-rtp' && r.kind === 'video') {
            s.framesDecoded += r.framesDecoded ?? 0; s.framesDropped += r.framesDropped ?? 0; s.framesReceived += r.framesReceived ?? 0;
            s.w = r.frameWidth ?? s.w; s.h = r.frameHeight ?? s.h; s.bytes += r.bytesReceived ?? 0; s.packetsLost += r.packetsLost ?? 0;
            s.jbDelay += r.jitterBufferDelay ?? 0; s.jbCount += r.jitterBufferEmittedCount ?? 0; s.jbTarget += r.jitterBufferTargetDelay ?? 0;
            s.freezes += r.freezeCount ?? 0; s.decodeTime += r.totalDecodeTime ?? 0; s.jitter = r.jitter ?? 0; s.nack += r.nackCount ?? 0; s.pli += r.pliCount ?? 0;
            s.keyFrames += r.keyFramesDecoded ?? 0;
          }
        });
      }
      out.push(s);
    }
    return out;
  }
  // Latency samples whose display time falls in [from, to] (page clock, ms), and the decoder's checks.
  function viewerSamples(indices, from, to) {
    return indices.map((i) => {
      const v = window.viewers[i];
      const inWindow = v.samples.filter(([g]) => g >= from && g <= to);
      return { idx: i, lat: inWindow.map(([, l]) => l), recvLat: inWindow.map((x) => x[2]).filter((x) => x !== null), ranLat: inWindow.map((x) => x[3]),
        displayAhead: inWindow.map((x) => x[4]), decodeFail: v.decodeFail, checkFail: v.checkFail,
        nonMonotonic: v.nonMonotonic, implausible: v.implausible, sampled: v.samples.length, paths: v.paths, raced: v.raced, staleDisplay: v.staleDisplay, implausibleVals: v.implausibleVals,
        rtpResid: v.rtpResid };
    });
  }
  const clock = () => ({ page: nowMs(), date: Date.now() });
  window.mb = { startStreamer, streamerStats, joinViewer, leaveViewer, viewerStats, viewerSamples, clock, readStamp, nowMs };
}

// ------------------------------------------------------------------------------------------------------------
// Node side: /proc, browsers, servers.
const TICK = 100; // USER_HZ
function procTicks(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch { return 0; }
}
function treeOf(root) {
  const kids = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch { /* gone */ }
  }
  const out = []; const stack = [root];
  while (stack.length) { const p = stack.pop(); out.push(p); stack.push(...(kids.get(p) ?? [])); }
  return out;
}
const treeTicks = (root) => treeOf(root).reduce((a, p) => a + procTicks(p), 0);
function machineTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}
function rssMb(root) {
  return Math.round(treeOf(root).reduce((a, p) => {
    try { return a + Number(readFileSync(`/proc/${p}/statm`, 'utf8').split(' ')[1]) * 4096; } catch { return a; }
  }, 0) / 1048576);
}

// A Chromium we can find in /proc: launched with a marker switch, its root is the child of this process
// whose command line has the marker (Debian's /usr/bin/chromium wrapper execs the real binary in place).
async function launchBrowser(role, extraArgs = []) {
  const marker = `--redred-media-bench=${role}-${process.pid}`;
  const browser = await chromium.launch({ executablePath: chromiumPath, timeout: 30000, args: [...chromiumArgs, marker, ...extraArgs] });
  let pid = null;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      if (cmd.includes(marker) && ppid === process.pid) pid = Number(d);
    } catch { /* gone */ }
  }
  if (!pid) throw new Error(`could not find the ${role} Chromium's process`);
  return { browser, pid, role };
}

const pct = (arr, p) => {
  if (!arr.length) return null;
  const s = [...arr].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const median = (arr) => pct(arr, 50);
const r1 = (x) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10) / 10);
const r3 = (x) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 1000) / 1000);

// Stamp minus RTP time (ms) over a viewer's samples: constant if every stamp was read from the right frame. The
// spread around its median is the draw-to-capture jitter (a few ms); a misread stamp would be off by far more.
function rtpCheck(resid) {
  if (!resid?.length) return { rtp_checked: 0 };
  const m = median(resid);
  const dev = resid.map((x) => Math.abs(x - m));
  return { rtp_checked: resid.length, rtp_dev_p95_ms: r1(pct(dev, 95)), rtp_dev_max_ms: r1(Math.max(...dev)), rtp_over_50ms: dev.filter((d) => d > 50).length };
}

const pageCfg = { width: WIDTH, height: HEIGHT, fps: FPS, topKbps: TOP_KBPS, midKbps: MID_KBPS, lowKbps: LOW_KBPS, stampEvery: STAMP_EVERY, degradation: DEGRADATION, forceTop: FORCE_TOP };
const pageScript = `(${benchPage.toString()})(${JSON.stringify(pageCfg)});`;

async function benchPageFor(b, server, name) {
  const p = await protocolPage(b.browser, server, name);
  await p.page.addScriptTag({ content: pageScript });
  p.page.on('console', (m) => { if (m.type() === 'error' && !/status of 404/.test(m.text())) p.errors.push(m.text()); });
  return p;
}

const cleanups = [];
let stopping = false;
async function stopAll() {
  if (stopping) return;
  stopping = true;
  for (const f of cleanups.reverse()) { try { await Promise.race([f(), sleep(15000)]); } catch { /* best effort */ } }
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { log(`${sig}: stopping`); stopAll().finally(() => process.exit(130)); });

// page.evaluate with a bound (Playwright's has none).
function ev(page, fn, arg, ms = 30000) {
  let timer;
  return Promise.race([page.evaluate(fn, arg).finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`page.evaluate took over ${ms} ms`)), ms); })]);
}

function remaining() { return deadline - Date.now(); }

// One measured step: mode, N viewers.
async function runStep(ctx, mode, n) {
  const server = ctx.servers[mode];
  const res = { mode, n, t: new Date().toISOString(), errors: [] };
  const streamer = await register(server);
  const stream = await createStream(server, streamer.token, { title: `media bench ${mode} ${n}` });
  const sp = await benchPageFor(ctx.streamerBrowser, server, `streamer-${mode}-${n}`);
  const vp = await benchPageFor(ctx.viewerBrowser, server, `viewers-${mode}-${n}`);
  try {
    const s = await ev(sp.page, ([id, tok, m]) => mb.startStreamer(id, tok, m), [stream.id, streamer.token, mode]);
    res.selftest = s.selftest;
    res.media = s.media;
    if (mode === 'janus') {
      // Viewers join once the publication flows (their offers come at join then, not later).
      await sp.page.waitForFunction(() => window.streamer.socket.messages.some((m) => m.type === 'media_state' && m.source === 'browser')
        || window.streamer.established.media?.source === 'browser', null, { timeout: 15000, polling: 100 });
    }
    await sp.page.waitForFunction(() => mb.streamerStats().then((s) => s.bytes > 0 || s.pcs === 0), null, { timeout: 15000, polling: 200 });
    await sleep(1000);

    // The join storm: N viewers at once.
    const idx = await ev(vp.page, ([id, m, k]) => Promise.all(Array.from({ length: k }, () => mb.joinViewer(id, m))), [stream.id, mode, n]);
    await vp.page.waitForFunction((ids) => ids.every((i) => window.viewers[i].tFirst !== null), idx, { timeout: JOIN_TIMEOUT_MS, polling: 100 })
      .catch(() => res.errors.push('not every viewer decoded a frame within 20 s'));
    await sleep(WARMUP_S * 1000);

    // The window.
    const snap = async () => {
      const [st, vs, clkS, clkV] = await Promise.all([
        ev(sp.page, () => mb.streamerStats()), ev(vp.page, (ids) => mb.viewerStats(ids), idx),
        ev(sp.page, () => mb.clock()), ev(vp.page, () => mb.clock()),
      ]);
      return {
        wall: Date.now(), st, vs, clkS, clkV,
        cpu: { streamer: treeTicks(ctx.streamerBrowser.pid), viewers: treeTicks(ctx.viewerBrowser.pid), janus: ctx.janus ? procTicks(ctx.janus.pid) : 0,
          redred: procTicks(server.proc.pid), node: procTicks(process.pid) },
        machine: machineTicks(),
      };
    };
    const a = await snap();
    await sleep(WINDOW_S * 1000);
    const b = await snap();
    const secs = (b.wall - a.wall) / 1000;
    const cores = (k) => (b.cpu[k] - a.cpu[k]) / TICK / secs;
    res.window_s = r3(secs);
    res.cpu = { streamer: r3(cores('streamer')), viewers: r3(cores('viewers')), janus: mode === 'janus' ? r3(cores('janus')) : null, redred: r3(cores('redred')), node: r3(cores('node')) };
    res.machine_busy_pct = r1(100 * (b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total));
    res.loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    res.upload_kBps = r1((b.st.bytes - a.st.bytes) / 1000 / secs);
    res.upload_video_kBps = r1((b.st.videoBytes - a.st.videoBytes) / 1000 / secs);
    res.upload_header_kBps = r1((b.st.headerBytes - a.st.headerBytes) / 1000 / secs);
    res.upload_retransmitted_kBps = r1((b.st.retransmitted - a.st.retransmitted) / 1000 / secs);
    res.degradation = b.st.degradation;
    res.streamer_pcs = b.st.pcs;
    res.canvas_fps = r1((b.st.framesDrawn - a.st.framesDrawn) / secs);
    res.canvas_late_ticks = b.st.lateTicks - a.st.lateTicks;
    // Encodings: per rid (janus) or per peer connection (p2p): resolution, sent fps, quality limitation.
    res.encodings = b.st.encodings.map((e) => {
      const prev = a.st.encodings.find((x) => x.key === e.key);
      return { rid: e.rid, w: e.w, h: e.h, fps: r1(prev ? (e.framesEncoded - prev.framesEncoded) / secs : null), kBps: r1(prev ? (e.bytes - prev.bytes) / 1000 / secs : null),
        limit: e.limit, target_kbps: e.target !== null ? Math.round(e.target / 1000) : null, rtx_kBps: r1(prev ? (e.retransmitted - prev.retransmitted) / 1000 / secs : null),
        key_frames: prev ? e.keyFrames - prev.keyFrames : null, nack: prev ? e.nack - prev.nack : null, pli: prev ? e.pli - prev.pli : null, encode_ms_per_frame: prev && e.framesEncoded > prev.framesEncoded ? r1(1000 * (e.encodeTime - prev.encodeTime) / (e.framesEncoded - prev.framesEncoded)) : null };
    });
    res.viewers = b.vs.map((v, i) => {
      const p = a.vs[i];
      return { fps_decoded: r1((v.framesDecoded - p.framesDecoded) / secs), fps_shown: r1((v.frames - p.frames) / secs), dropped: v.framesDropped - p.framesDropped,
        w: v.w, h: v.h, lost: v.packetsLost - p.packetsLost, kBps: r1((v.bytes - p.bytes) / 1000 / secs),
        jb_ms: v.jbCount > p.jbCount ? r1(1000 * (v.jbDelay - p.jbDelay) / (v.jbCount - p.jbCount)) : null,
        decode_ms: v.framesDecoded > p.framesDecoded ? r1(1000 * (v.decodeTime - p.decodeTime) / (v.framesDecoded - p.framesDecoded)) : null,
        jb_target_ms: v.jbCount > p.jbCount ? r1(1000 * (v.jbTarget - p.jbTarget) / (v.jbCount - p.jbCount)) : null, jitter_ms: r1(1000 * v.jitter),
        nack: v.nack - p.nack, pli: v.pli - p.pli, key_frames: v.keyFrames - p.keyFrames,
        freezes: v.freezes - p.freezes, first_ms: r1(v.firstMs), connect_ms: r1(v.connectMs), offers: v.offers, layer_fixes: v.fixes };
    });
    // Clocks: (timeOrigin + now) - Date.now() in each browser; their difference is the cross-process disagreement.
    res.clock = { streamer_ms: r3(b.clkS.page - b.clkS.date), viewers_ms: r3(b.clkV.page - b.clkV.date) };
    const lat = await ev(vp.page, ([ids, from, to]) => mb.viewerSamples(ids, from, to), [idx, a.clkV.page, b.clkV.page]);
    res.latency = lat.map((l) => ({ n: l.lat.length, median: r1(median(l.lat)), p95: r1(pct(l.lat, 95)), decodeFail: l.decodeFail, checkFail: l.checkFail, nonMonotonic: l.nonMonotonic, implausible: l.implausible, sampled: l.sampled, paths: l.paths, raced: l.raced, staleDisplay: l.staleDisplay, implausibleVals: l.implausibleVals, ...rtpCheck(l.rtpResid) }));
    res.latency_all = lat.flatMap((l) => l.lat);
    // Cross-checks of the display time: stamp → packets received, stamp → callback ran (an upper bound), and how far
    // expectedDisplayTime lies after presentationTime.
    const recv = lat.flatMap((l) => l.recvLat); const ran = lat.flatMap((l) => l.ranLat); const ahead = lat.flatMap((l) => l.displayAhead);
    res.latency_checks = { received_median: r1(median(recv)), received_p95: r1(pct(recv, 95)), callback_median: r1(median(ran)), callback_p95: r1(pct(ran, 95)),
      display_after_presentation_median: r1(median(ahead)), glass_before_received: lat.reduce((a, l) => a + l.lat.filter((x, k) => l.recvLat[k] !== undefined && x < l.recvLat[k]).length, 0) };
    res.first_ms = res.viewers.map((v) => v.first_ms);

    // Probes: one more viewer at a time joins, decodes a first frame, leaves.
    res.probe_first_ms = [];
    for (let k = 0; k < PROBES && remaining() > 60000; k++) {
      const pi = await ev(vp.page, ([id, m]) => mb.joinViewer(id, m, { sample: false }), [stream.id, mode]);
      const ok = await vp.page.waitForFunction((i) => window.viewers[i].tFirst !== null, pi, { timeout: 10000, polling: 50 }).then(() => true, () => false);
      const v = await ev(vp.page, (i) => { const x = window.viewers[i]; return x.tFirst !== null ? x.tFirst - x.tOpen : null; }, pi);
      if (!ok) res.errors.push(`probe ${k} got no frame within 10 s`);
      res.probe_first_ms.push(r1(v));
      await ev(vp.page, (i) => mb.leaveViewer(i), pi);
      await sleep(1000);
    }
    res.rss_mb = { streamer: rssMb(ctx.streamerBrowser.pid), viewers: rssMb(ctx.viewerBrowser.pid) };
    res.page_errors = [...sp.errors, ...vp.errors].slice(0, 10);
  } finally {
    await ev(sp.page, () => { window.streamer?.socket.send({ type: 'end_stream' }); }).catch(() => {});
    await sleep(300);
    await vp.context.close().catch(() => {});
    await sp.context.close().catch(() => {});
  }
  return res;
}

const sum = (arr) => arr.reduce((x, y) => x + y, 0);
const fmt = (x) => (x === null || x === undefined ? '–' : String(x));

function encodingsText(r) {
  const enc = r.encodings ?? [];
  const canvas = `; canvas drawn at ${r.canvas_fps} fps`;
  const limits = [...new Set(enc.map((e) => e.limit).filter((l) => l && l !== 'none'))];
  const lim = limits.length ? ` (limited: ${limits.join(',')})` : '';
  if (r.mode === 'janus') {
    const order = { h: 0, m: 1, l: 2 };
    return [...enc].sort((x, y) => (order[x.rid] ?? 9) - (order[y.rid] ?? 9)).map((e) => `${e.rid} ${e.w}x${e.h} ${e.fps} fps ${e.kBps} kB/s`).join(', ') + lim + canvas;
  }
  if (!enc.length) return canvas;
  const sizes = [...new Set(enc.map((e) => `${e.w}x${e.h}`))].join('/');
  const fs = enc.map((e) => e.fps);
  return `${enc.length} × ${sizes} ${r1(median(fs))} fps (min ${Math.min(...fs)})${lim}${canvas}`;
}

function stepRow(r) {
  const vf = r.viewers.map((v) => v.fps_decoded);
  const sf = r.viewers.map((v) => v.fps_shown);
  const lat = r.latency_all;
  const stampErrors = sum(r.latency.map((l) => l.decodeFail + l.checkFail + l.nonMonotonic + l.implausible));
  const fixes = sum(r.viewers.map((v) => v.layer_fixes ?? 0));
  const recv = [...new Set(r.viewers.map((v) => `${v.w}x${v.h}`))].join(', ') + (fixes ? ` (${fixes} asked for h)` : '');
  return [r.n, r.mode, r.round, `${r.upload_kBps} (${r.upload_video_kBps})`, r1(r.upload_kBps / r.n), encodingsText(r), r.cpu.streamer,
    fmt(r.cpu.janus), r.cpu.janus !== null ? r1(1000 * r.cpu.janus / r.n) : '–', r.cpu.redred, r.cpu.viewers,
    `${r1(median(vf))} / ${Math.min(...vf)}`, r1(median(sf)), sum(r.viewers.map((v) => v.dropped)), recv,
    `${r1(median(r.first_ms))} / ${Math.max(...r.first_ms)}`, `${fmt(r1(median(r.probe_first_ms)))}`,
    `${fmt(r1(median(lat)))} / ${fmt(r1(pct(lat, 95)))}`, fmt(r.latency_checks?.received_median), lat.length, stampErrors, r.machine_busy_pct, r.errors.length ? r.errors.join('; ') : 0];
}

function printTable(results, ctx) {
  const ok = results.filter((r) => r.upload_kBps !== undefined);
  const failed = results.filter((r) => r.upload_kBps === undefined);
  const out = [];
  out.push(`${WIDTH}x${HEIGHT} canvas camera at ${FPS} fps + fake microphone (Opus). P2P: one ${WIDTH}x${HEIGHT} VP8 layer ≤ ${TOP_KBPS} kbit/s per viewer. `
    + `Janus: VP8 simulcast h/m/l (full, 1/2, 1/4 size) ≤ ${TOP_KBPS}/${MID_KBPS}/${LOW_KBPS} kbit/s, viewers on h. degradationPreference ${DEGRADATION || 'default'}. `
    + `${ROUNDS} round(s), warm-up ${WARMUP_S} s, window ${WINDOW_S} s, ${PROBES} probe join(s) per step. ${ctx.chromiumVersion}; Janus 1.1.2.`);
  out.push('');
  out.push('| N | mode | round | streamer upload kB/s (video only) | upload per viewer kB/s | what the streamer sends (video) | streamer Chromium CPU (cores) | Janus CPU (cores) | Janus CPU per viewer (ms/s) | redred CPU (cores) | viewers\' Chromium CPU (cores) | viewer fps decoded median / min | viewer fps shown median | frames dropped | viewers received | first frame median / max (ms) | probe join first frame median (ms) | glass-to-glass median / p95 (ms) | of which stamp → packets received, median (ms) | latency samples | stamp errors | machine busy % | errors |');
  out.push('|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|');
  const sorted = [...ok].sort((x, y) => x.n - y.n || MODES.indexOf(x.mode) - MODES.indexOf(y.mode) || x.round - y.round);
  for (const r of sorted) out.push(`| ${stepRow(r).join(' | ')} |`);
  for (const r of failed) out.push(`| ${r.n} | ${r.mode} | ${r.round} | failed: ${(r.errors ?? []).join('; ')} |`);

  // Per mode and round (and all rounds pooled): upload and streamer-CPU ratios (largest N / smallest N), first
  // frame, glass-to-glass, Janus CPU, and the decoder's cross-check against RTP time.
  out.push('');
  out.push('| mode | round | upload, largest N / smallest N | streamer CPU, largest N / smallest N | first frame median / p95 (ms, count): all joins | storm joins | one-at-a-time joins | glass-to-glass median / p95 (ms, count): all N | at the smallest N | at the largest N | Janus CPU at smallest N (cores) | Janus CPU per added viewer (ms/s) | stamp − RTP time deviation, p95 per viewer: median / worst (ms); samples over 50 ms | busiest window (machine %) |');
  out.push('|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|');
  for (const mode of MODES) {
    const ofMode = ok.filter((r) => r.mode === mode);
    if (!ofMode.length) continue;
    const nMin = Math.min(...ofMode.map((r) => r.n)); const nMax = Math.max(...ofMode.map((r) => r.n));
    const rounds = [...new Set(ofMode.map((r) => r.round))].sort();
    for (const which of [...rounds, 'all']) {
      if (which === 'all' && rounds.length < 2) continue;
      const rs = which === 'all' ? ofMode : ofMode.filter((r) => r.round === which);
      const pairs = rounds.filter((k) => which === 'all' || k === which)
        .map((k) => [rs.find((r) => r.round === k && r.n === nMin), rs.find((r) => r.round === k && r.n === nMax)]).filter(([x, y]) => x && y);
      const up = pairs.map(([x, y]) => `${y.upload_kBps} / ${x.upload_kBps} = **${r1(y.upload_kBps / x.upload_kBps)}×**`).join('; ') || '–';
      const cpu = pairs.map(([x, y]) => `${y.cpu.streamer} / ${x.cpu.streamer} = ${r1(y.cpu.streamer / x.cpu.streamer)}×`).join('; ') || '–';
      const storm = rs.flatMap((r) => r.first_ms).filter((x) => x !== null);
      const probes = rs.flatMap((r) => r.probe_first_ms ?? []).filter((x) => x !== null);
      const mp = (arr) => `${fmt(r1(median(arr)))} / ${fmt(r1(pct(arr, 95)))} (${arr.length})`;
      const latAt = (n) => rs.filter((r) => r.n === n).flatMap((r) => r.latency_all);
      const janusBase = mode === 'janus' ? pairs.map(([x]) => x.cpu.janus).join(' / ') || '–' : '–';
      const janusAdded = mode === 'janus' && nMax > nMin ? pairs.map(([x, y]) => r1(1000 * (y.cpu.janus - x.cpu.janus) / (nMax - nMin))).join(' / ') || '–' : '–';
      const checks = rs.flatMap((r) => r.latency).filter((l) => l.rtp_checked);
      const p95s = checks.map((l) => l.rtp_dev_p95_ms);
      const over = sum(checks.map((l) => l.rtp_over_50ms ?? 0));
      const checked = sum(checks.map((l) => l.rtp_checked));
      out.push(`| ${mode} | ${which} | ${up} | ${cpu} | ${mp([...storm, ...probes])} | ${mp(storm)} | ${mp(probes)} | ${mp(rs.flatMap((r) => r.latency_all))} | ${mp(latAt(nMin))} | ${mp(latAt(nMax))} | ${janusBase} | ${janusAdded} | `
        + `${fmt(median(p95s))} / ${p95s.length ? Math.max(...p95s) : '–'}; ${over} of ${checked} | ${Math.max(...rs.map((r) => r.machine_busy_pct))} |`);
    }
  }
  const clocks = ok.map((r) => r1(Math.abs(r.clock.streamer_ms - r.clock.viewers_ms)));
  const offs = ok.flatMap((r) => [r.clock.streamer_ms, r.clock.viewers_ms]).map(Math.abs);
  const st = ok.map((r) => r.selftest).filter(Boolean);
  out.push('');
  out.push(`Clocks: performance.timeOrigin + performance.now() − Date.now() in each browser at each window's end: at most ${Math.max(...offs)} ms; `
    + `streamer against viewers' browser: at most ${Math.max(...clocks)} ms apart. Stamp self-test on the source canvas (no codec): `
    + `${sum(st.map((x) => x.ok))} of ${sum(st.map((x) => x.ok + x.bad))} read back.`);
  return out.join('\n');
}

async function main() {
  // RENDER_FROM=<an OUT_DIR>: print the tables of an earlier run again (no browsers, no servers).
  if (process.env.RENDER_FROM) {
    const dir = process.env.RENDER_FROM;
    const header = JSON.parse(readFileSync(path.join(dir, 'header.json'), 'utf8'));
    const results = readFileSync(path.join(dir, 'steps.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    console.log(printTable(results.filter((r) => !r.skipped), { chromiumVersion: header.chromium }));
    return;
  }
  log(`out dir ${OUT_DIR}`);
  const ctx = { servers: {} };
  ctx.chromiumVersion = execFileSync(chromiumPath, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  if (MODES.includes('janus')) {
    ctx.janus = await startJanus({ name: 'media-bench', debugLevel: 3 });
    cleanups.push(() => ctx.janus.stop());
    ctx.servers.janus = await startRedred({ webRoot, args: ['--media', 'janus', '--janus-url', ctx.janus.wsUrl, '--janus-api-secret', ctx.janus.apiSecret, '--janus-admin-key', ctx.janus.adminKey] });
    cleanups.push(() => ctx.servers.janus.stop());
  }
  if (MODES.includes('p2p')) {
    ctx.servers.p2p = await startRedred({ webRoot });
    cleanups.push(() => ctx.servers.p2p.stop());
  }
  const streamerExtra = SIMULCAST_LIMIT ? [] : ['--force-fieldtrials=WebRTC-LegacySimulcastLayerLimit/Disabled/'];
  ctx.streamerBrowser = await launchBrowser('streamer', streamerExtra);
  cleanups.push(() => ctx.streamerBrowser.browser.close());
  ctx.viewerBrowser = await launchBrowser('viewers');
  cleanups.push(() => ctx.viewerBrowser.browser.close());
  log(`streamer Chromium pid ${ctx.streamerBrowser.pid}, viewers Chromium pid ${ctx.viewerBrowser.pid}${ctx.janus ? `, janus pid ${ctx.janus.pid}` : ''}`);

  const results = [];
  const header = { started: new Date(started).toISOString(), host: os.hostname(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, kernel: os.release(),
    chromium: ctx.chromiumVersion, config: { MODES, COUNTS, ROUNDS, WARMUP_S, WINDOW_S, PROBES, WIDTH, HEIGHT, FPS, TOP_KBPS, MID_KBPS, LOW_KBPS, STAMP_EVERY, SIMULCAST_LIMIT, DEGRADATION, FORCE_TOP }, loadavg: readFileSync('/proc/loadavg', 'utf8').trim() };
  writeFileSync(path.join(OUT_DIR, 'header.json'), JSON.stringify(header, null, 1));
  for (let round = 1; round <= ROUNDS; round++) for (const n of COUNTS) {
    // Odd rounds run the modes in MODES order, even rounds in reverse, so neither mode always goes first.
    for (const mode of round % 2 === 1 ? MODES : [...MODES].reverse()) {
      // Rough cost of a step: setup + joins + warm-up + window + probes.
      const need = (8 + WARMUP_S + WINDOW_S + PROBES * 2 + n * 0.5) * 1000;
      if (remaining() < need) { log(`skipping round ${round} ${mode} N=${n}: TOTAL_LIMIT_S reached`); results.push({ round, mode, n, skipped: true }); continue; }
      log(`round ${round} ${mode} N=${n}`);
      let r;
      try { r = { round, ...await runStep(ctx, mode, n) }; } catch (e) { r = { round, mode, n, errors: [String(e.message).split('\n')[0]] }; log(`${mode} N=${n} failed: ${e.message.split('\n')[0]}`); }
      appendFileSync(rawFile, `${JSON.stringify(r)}\n`);
      if (r.upload_kBps !== undefined) {
        log(`${mode} N=${n}: upload ${r.upload_kBps} kB/s, streamer ${r.cpu.streamer} cores, janus ${r.cpu.janus}, viewers ${r.cpu.viewers}, fps ${r.viewers.map((v) => v.fps_decoded).join(',')}, `
          + `first ${r.first_ms.join(',')}, lat median ${r1(median(r.latency_all))} (${r.latency_all.length}), busy ${r.machine_busy_pct}%`);
      }
      results.push(r);
    }
  }
  const table = printTable(results.filter((r) => !r.skipped), ctx);
  writeFileSync(path.join(OUT_DIR, 'table.md'), `${table}\n`);
  console.log(table);
  console.log(`\nraw results: ${OUT_DIR} (steps.jsonl, header.json, table.md); total ${Math.round((Date.now() - started) / 1000)} s; load average now ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
}

try {
  await main();
} catch (e) {
  console.error(`media_bench: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
process.exit(process.exitCode ?? 0);
