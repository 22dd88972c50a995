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

  // --- Peer-to-peer (the default --media p2p; docs/PROTOCOL.md "Messages" and "Signaling isolation") ---

  // Runs async operations on one peer connection in order (an offer or answer before the candidates that
  // follow it); a failure is kept in `errors` and does not stop the chain.
  function serial(errors) {
    let chain = Promise.resolve();
    return (operation) => {
      chain = chain.then(operation).catch((e) => { errors.push(String(e?.message ?? e)); });
      return chain;
    };
  }

  // Collects the types of the local ICE candidates a peer connection gathers (host, srflx, relay).
  function trackGathering(pc, into) {
    pc.addEventListener('icecandidate', (e) => { if (e.candidate) into.push(e.candidate.type ?? (/ typ (\w+)/.exec(e.candidate.candidate)?.[1] ?? null)); });
  }

  // The streamer's side over `socket` (the streamer's): one RTCPeerConnection per viewer connection, made on
  // that connection's `user_joined` (a repeated one is ignored: exactly one pc per pair), closed on
  // `user_left`; send-only fake camera and microphone; `offer` with `target`; `answer` and `ice_candidate`
  // come back with `from`. Returns { peers: Map(connection id → pc), media, offers, errors }.
  async function p2pStream(socket, { iceServers = [], iceTransportPolicy = 'all', width = 640, height = 480 } = {}) {
    const media = await camera({ width, height });
    const streamer = { peers: new Map(), media, offers: 0, errors: [] };
    const queues = new Map();
    socket.on('user_joined', (m) => {
      const id = m.connection_id;
      if (streamer.peers.has(id)) return;
      const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy });
      const run = serial(streamer.errors);
      streamer.peers.set(id, pc);
      queues.set(id, run);
      const stream = new MediaStream();
      pc.addTransceiver(media.getVideoTracks()[0], { direction: 'sendonly', streams: [stream] });
      pc.addTransceiver(media.getAudioTracks()[0], { direction: 'sendonly', streams: [stream] });
      pc.onicecandidate = (e) => {
        if (e.candidate && streamer.peers.get(id) === pc) socket.send({ type: 'ice_candidate', target: id, candidate: e.candidate.toJSON() });
      };
      run(async () => {
        await pc.setLocalDescription(await pc.createOffer());
        socket.send({ type: 'offer', target: id, sdp: pc.localDescription.sdp });
        streamer.offers += 1;
      });
    });
    socket.on('user_left', (m) => {
      const pc = streamer.peers.get(m.connection_id);
      if (!pc) return;
      pc.close();
      streamer.peers.delete(m.connection_id);
      queues.delete(m.connection_id);
    });
    socket.on('answer', (m) => {
      const pc = streamer.peers.get(m.from);
      if (m.peer === 'server' || !pc) return;
      queues.get(m.from)(() => (pc.signalingState === 'have-local-offer' ? pc.setRemoteDescription({ type: 'answer', sdp: m.sdp }) : undefined));
    });
    socket.on('ice_candidate', (m) => {
      const pc = streamer.peers.get(m.from);
      if (m.peer === 'server' || !pc || !m.candidate) return;
      queues.get(m.from)(() => pc.addIceCandidate(m.candidate));
    });
    return streamer;
  }

  // A viewer's side over `socket` (a viewer's): answers the streamer's `offer` (receive-only) on one peer
  // connection per streamer connection (a second offer from the same connection is ignored; an offer from a
  // new streamer connection replaces the peer), and trickles `ice_candidate` with `target` = the offer's
  // `from`. Candidates that arrive before their offer wait for it. Returns { pc, from, offers, ignored,
  // localCandidates (types gathered), errors }.
  function p2pWatch(socket, { iceServers = [], iceTransportPolicy = 'all' } = {}) {
    const viewer = { pc: null, from: null, offers: 0, ignored: 0, localCandidates: [], errors: [] };
    const early = [];
    let run = serial(viewer.errors);
    socket.on('offer', (m) => {
      if (m.peer === 'server') return;
      if (viewer.pc && viewer.from === m.from) { viewer.ignored += 1; return; }
      viewer.offers += 1;
      viewer.pc?.close();
      const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy });
      viewer.pc = pc;
      viewer.from = m.from;
      viewer.localCandidates = [];
      trackGathering(pc, viewer.localCandidates);
      run = serial(viewer.errors);
      pc.onicecandidate = (e) => {
        if (e.candidate && viewer.pc === pc) socket.send({ type: 'ice_candidate', target: m.from, candidate: e.candidate.toJSON() });
      };
      run(async () => {
        await pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        socket.send({ type: 'answer', target: m.from, sdp: pc.localDescription.sdp });
      });
      for (const c of early.splice(0)) if (c.from === m.from) run(() => pc.addIceCandidate(c.candidate));
    });
    socket.on('ice_candidate', (m) => {
      if (m.peer === 'server' || !m.candidate) return;
      if (viewer.from !== m.from) { early.push(m); return; }
      const pc = viewer.pc;
      run(() => pc.addIceCandidate(m.candidate));
    });
    return viewer;
  }

  // GET /api/rtc/config of this page's server: { iceServers, ttl }.
  async function rtcConfig() {
    const res = await fetch('/api/rtc/config');
    if (res.status !== 200) throw new Error(`GET /api/rtc/config answered ${res.status}`);
    return res.json();
  }

  window.rr = { Socket, publish, watch, stats, framesRise, whipPublish, whepPlay, sleep, p2pStream, p2pWatch, rtcConfig, trackGathering };
})();
