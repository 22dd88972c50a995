// The one capture task of a process: grabs the screen at `fps`, encodes once, hands each frame to a sink.
// Owns a dedicated thread (capture and JPEG encoding are blocking work and never run on I/O threads).
// Frames are paced on a fixed schedule; when the machine falls behind, ticks are skipped, never bunched.
#pragma once
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/metrics.hpp"
#include "screen/frame.hpp"
#include "screen/screen_source.hpp"

namespace redred::screen {

class CaptureLoop {
public:
    using FrameSink = std::function<void(FramePtr)>;  // called on the capture thread

    // `source` is borrowed and used only by this loop's thread until stop() returns.
    CaptureLoop(ScreenSource& source, Metrics& metrics, std::string task_id, int fps, int quality, FrameSink sink);
    ~CaptureLoop();  // stops and joins
    CaptureLoop(const CaptureLoop&) = delete;
    CaptureLoop& operator=(const CaptureLoop&) = delete;

    void stop();  // idempotent; returns after the thread has finished its current frame
    const std::string& task_id() const { return task_id_; }

private:
    void run();

    ScreenSource& source_;
    Metrics& metrics_;
    const std::string task_id_;
    const int fps_;
    const int quality_;
    FrameSink sink_;

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;  // last: starts after every member above is ready
};

}  // namespace redred::screen
