// A minimal client of redred's media protocol, run inside a Chromium page by the media tests (injected with
// page.addScriptTag). It speaks docs/PROTOCOL.md ("Media through the server") and docs/API.md ("WHIP and
// WHEP") with plain browser APIs only — no code of the web UI — so the tests check the protocol itself.
// Everything hangs off window.rr; every wait is bounded.
(() => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // One /ws/live/<id>/ socket; keeps every message (arrays unpacked) and hands each out at most once.
  class Socket {
    static open(streamId, token) {
      const proto = location.protocol === 'https:' ? 'wss' : 'ws';
      const url = `${proto}://${location.host}/ws/live/${streamId}/${token ? `?token=${encodeURIComponent(token)}` : ''}`;
      const socket = new Socket(new WebSocket(url));
      return socket.opened.then(() => socket);
    }

    constructor(ws) {
      this.ws = ws;
      this.messages = [];
      this.taken = new Set();
      this.waiters = new Set();
      this.closed = null;
      this.opened = new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = () => reject(new Error('websocket error'));
      });
      ws.onclose = (e) => { this.closed = { code: e.code, reason: e.reason }; for (const w of this.waiters) w(); };
      ws.onmessage = (e) => {
        const data = JSON.parse(e.data);
        for (const m of Array.isArray(data) ? data : [data]) this.messages.push(m);
        for (const w of this.waiters) w();
      };
    }

    send(message) { this.ws.send(JSON.stringify(message)); }

    // The next not-yet-taken message of `type` matching `pred`.
    next(type, pred = () => true, timeoutMs = 15000) {
      const find = () => {
        for (let i = 0; i < this.messages.length; i++) {
          const m = this.messages[i];
          if (!this.taken.has(i) && m.type === type && pred(m)) { this.taken.add(i); return m; }
        }
        return null;
      };
      return new Promise((resolve, reject) => {
        const hit = find();
        if (hit) { resolve(hit); return; }
        const timer = setTimeout(() => {
          this.waiters.delete(check);
          reject(new Error(`no ${type} within ${timeoutMs} ms; got ${JSON.stringify(this.messages.map((m) => m.type))}`));
        }, timeoutMs);
        const check = () => {
          const m = find();
          if (m) { clearTimeout(timer); this.waiters.delete(check); resolve(m); }
        };
        this.waiters.add(check);
      });
    }

    // Calls handler(m) for every message of `type` from now on (and those not taken yet).
    on(type, handler) {
      const pump = () => {
        for (let i = 0; i < this.messages.length; i++) {
          if (!this.taken.has(i) && this.messages[i].type === type) { this.taken.add(i); handler(this.messages[i]); }
        }
      };
      this.waiters.add(pump);
      pump();
    }

    close() { this.ws.close(); }
  }

  const simulcast = [
    { rid: 'h', maxBitrate: 1_500_000 },
    { rid: 'm', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
    { rid: 'l', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  ];

  async function camera({ width = 1280, height = 720 } = {}) {
    return navigator.mediaDevices.getUserMedia({ audio: true, video: { width: { ideal: width }, height: { ideal: height } } });
  }

  // Publishes the fake camera to the server over `socket` (the streamer's); resolves once the answer is set.
  async function publish(socket, { iceServers = [], layers = true, width, height } = {}) {
    const media = await camera({ width, height });
    const pc = new RTCPeerConnection({ iceServers });
    const stream = new MediaStream();
    pc.addTransceiver(media.getVideoTracks()[0], { direction: 'sendonly', streams: [stream], sendEncodings: layers ? simulcast : undefined });
    pc.addTransceiver(media.getAudioTracks()[0], { direction: 'sendonly', streams: [stream] });
    pc.onicecandidate = (e) => socket.send({ type: 'ice_candidate', peer: 'server', candidate: e.candidate ? e.candidate.toJSON() : null });
    socket.on('ice_candidate', (m) => { if (m.peer === 'server' && m.candidate) pc.addIceCandidate(m.candidate).catch(() => {}); });
    await pc.setLocalDescription(await pc.createOffer());
    socket.send({ type: 'offer', peer: 'server', sdp: pc.localDescription.sdp });
    const answer = await socket.next('answer', (m) => m.peer === 'server');
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    return { pc, media };
  }

  // Receives from the server over `socket` (a viewer's): answers each server offer on a fresh peer connection.
  function watch(socket, { iceServers = [], iceTransportPolicy = 'all' } = {}) {
    const viewer = { pc: null, offers: 0, quality: null };
    socket.on('quality', (m) => { viewer.quality = m; });
    socket.on('offer', async (m) => {
      if (m.peer !== 'server') return;
      viewer.offers += 1;
      viewer.quality = m.quality ?? viewer.quality;
      viewer.pc?.close();
      const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy });
      viewer.pc = pc;
      pc.onicecandidate = (e) => { if (viewer.pc === pc) socket.send({ type: 'ice_candidate', peer: 'server', candidate: e.candidate ? e.candidate.toJSON() : null }); };
      await pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      socket.send({ type: 'answer', peer: 'server', sdp: pc.localDescription.sdp });
    });
    return viewer;
  }

  // Inbound video and outbound totals of a peer connection, plus the selected candidate pair's types.
  async function stats(pc) {
    const out = { framesDecoded: 0, frameWidth: 0, frameHeight: 0, bytesReceived: 0, bytesSent: 0, packetsLost: 0, outbound: 0, localCandidate: null, remoteCandidate: null };
    if (!pc) return out;
    const report = await pc.getStats();
    let pair = null;
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.framesDecoded += s.framesDecoded ?? 0;
        out.frameWidth = s.frameWidth ?? out.frameWidth;
        out.frameHeight = s.frameHeight ?? out.frameHeight;
        out.bytesReceived += s.bytesReceived ?? 0;
        out.packetsLost += s.packetsLost ?? 0;
      }
      if (s.type === 'outbound-rtp') { out.bytesSent += s.bytesSent ?? 0; if (s.kind === 'video') out.outbound += 1; }
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId);
    });
    if (pair) {
      out.localCandidate = report.get(pair.localCandidateId)?.candidateType ?? null;
      out.remoteCandidate = report.get(pair.remoteCandidateId)?.candidateType ?? null;
    }
    return out;
  }

  // framesDecoded rising over `ms`: the viewer really receives video.
  async function framesRise(getPc, ms = 1500) {
    const a = await stats(getPc());
    await sleep(ms);
    const b = await stats(getPc());
    return { rising: b.framesDecoded > a.framesDecoded, before: a, after: b };
  }

  async function waitGathered(pc, timeoutMs = 5000) {
    if (pc.iceGatheringState === 'complete') return;
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve(); } });
    });
  }

  // A WHIP client as any encoder does it (RFC 9725): one POST with the full offer, then the answer.
  async function whipPublish(url, key, { layers = false } = {}) {
    const media = await camera({ width: 640, height: 480 });
    const pc = new RTCPeerConnection();
    const stream = new MediaStream();
    pc.addTransceiver(media.getVideoTracks()[0], { direction: 'sendonly', streams: [stream], sendEncodings: layers ? simulcast : undefined });
    pc.addTransceiver(media.getAudioTracks()[0], { direction: 'sendonly', streams: [stream] });
    await pc.setLocalDescription(await pc.createOffer());
    await waitGathered(pc);
    const headers = { 'content-type': 'application/sdp' };
    if (key !== undefined) headers.authorization = `Bearer ${key}`;
    const res = await fetch(url, { method: 'POST', headers, body: pc.localDescription.sdp });
    const body = await res.text();
    if (res.status !== 201) { pc.close(); media.getTracks().forEach((t) => t.stop()); return { status: res.status, body }; }
    await pc.setRemoteDescription({ type: 'answer', sdp: body });
    window.__whip = pc;
    return { status: res.status, location: res.headers.get('location'), etag: res.headers.get('etag'), links: res.headers.get('link'), contentType: res.headers.get('content-type') };
  }

  // A WHEP player: receive-only offer, one POST, the answer.
  async function whepPlay(url) {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    await waitGathered(pc);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription.sdp });
    const body = await res.text();
    if (res.status !== 201) { pc.close(); return { status: res.status, body }; }
    await pc.setRemoteDescription({ type: 'answer', sdp: body });
    window.__whep = pc;
    return { status: res.status, location: res.headers.get('location'), contentType: res.headers.get('content-type') };
  }

  window.rr = { Socket, publish, watch, stats, framesRise, whipPublish, whepPlay, sleep };
})();
