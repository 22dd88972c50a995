#include "screen/capture_loop.hpp"

#include "core/log.hpp"
#include "screen/jpeg_encoder.hpp"

namespace redred::screen {

using Clock = std::chrono::steady_clock;

CaptureLoop::CaptureLoop(ScreenSource& source, Metrics& metrics, std::string task_id, int fps, int quality,
                         FrameSink sink)
    : source_(source),
      metrics_(metrics),
      task_id_(std::move(task_id)),
      fps_(fps),
      quality_(quality),
      sink_(std::move(sink)),
      thread_([this] { run(); }) {}

CaptureLoop::~CaptureLoop() { stop(); }

void CaptureLoop::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void CaptureLoop::run() {
    auto log = log::get("screen");
    log->info("[STREAMING-TASK] capture started task_id={} source={} size={}x{} fps={} quality={}", task_id_,
              source_.name(), source_.width(), source_.height(), fps_, quality_);
    JpegEncoder encoder;
    const auto period = std::chrono::nanoseconds(1'000'000'000LL / fps_);
    auto next_tick = Clock::now();
    std::uint64_t seq = 0;
    int consecutive_errors = 0;

    for (;;) {
        {
            std::unique_lock lock(mutex_);
            if (wake_.wait_until(lock, next_tick, [this] { return stopping_; })) break;
        }
        const auto started = Clock::now();
        auto image = source_.grab(std::chrono::system_clock::now());
        const auto grabbed = Clock::now();
        if (!image) {
            metrics_.capture_errors.add();
            if (consecutive_errors++ % 50 == 0) log->warn("capture failed task_id={} error={}", task_id_, image.error().message);
        } else {
            metrics_.frames_captured.add();
            metrics_.capture_microseconds.add(
                std::chrono::duration_cast<std::chrono::microseconds>(grabbed - started).count());
            auto jpeg = encoder.encode(*image, quality_);
            const auto encoded = Clock::now();
            if (!jpeg) {
                metrics_.capture_errors.add();
                if (consecutive_errors++ % 50 == 0) log->warn("encode failed task_id={} error={}", task_id_, jpeg.error().message);
            } else {
                consecutive_errors = 0;
                metrics_.frames_encoded.add();
                metrics_.encoded_bytes.add(jpeg->size());
                metrics_.encode_microseconds.add(
                    std::chrono::duration_cast<std::chrono::microseconds>(encoded - grabbed).count());
                sink_(make_frame(++seq, task_id_, std::move(*jpeg)));
            }
        }
        next_tick += period;
        const auto now = Clock::now();
        if (next_tick < now) next_tick = now + period - (now - next_tick) % period;  // skip missed ticks
    }
    log->info("[STREAMING-TASK] capture stopped task_id={} frames={}", task_id_, seq);
}

}  // namespace redred::screen
