#include "screen/io/frame_hub.hpp"

namespace redred::screen {

FrameSubscription::FrameSubscription(net::any_io_executor strand, Metrics& metrics, FeedTransport transport)
    : strand_(std::move(strand)), wake_(strand_), metrics_(metrics), transport_(transport) {
    wake_.expires_at(net::steady_timer::time_point::max());
    metrics_.feed_viewers[static_cast<int>(transport_)].add();
}

FrameSubscription::~FrameSubscription() { metrics_.feed_viewers[static_cast<int>(transport_)].sub(); }

net::awaitable<FramePtr> FrameSubscription::next() {
    while (!pending_ && !ended_) {
        error_code ec;
        co_await wake_.async_wait(net::redirect_error(use_awaitable, ec));
        wake_.expires_at(net::steady_timer::time_point::max());
    }
    if (pending_) co_return std::exchange(pending_, nullptr);
    co_return nullptr;
}

void FrameSubscription::offer(FramePtr frame) {
    net::post(strand_, [self = shared_from_this(), frame = std::move(frame)]() mutable { self->on_frame(std::move(frame)); });
}

void FrameSubscription::end() {
    net::post(strand_, [self = shared_from_this()] { self->on_end(); });
}

void FrameSubscription::on_frame(FramePtr frame) {
    if (ended_) return;
    if (pending_) metrics_.frames_dropped[static_cast<int>(transport_)].add();
    pending_ = std::move(frame);
    wake_.cancel();
}

void FrameSubscription::on_end() {
    ended_ = true;
    wake_.cancel();
}

bool FrameHub::open(const std::string& task_id) {
    std::vector<std::shared_ptr<FrameSubscription>> ended;
    {
        std::lock_guard lock(mutex_);
        if (task_id_ == task_id) return false;
        if (!task_id_.empty()) close_locked(ended);
        task_id_ = task_id;
    }
    for (auto& s : ended) s->end();
    return true;
}

void FrameHub::close() {
    std::vector<std::shared_ptr<FrameSubscription>> ended;
    {
        std::lock_guard lock(mutex_);
        close_locked(ended);
    }
    for (auto& s : ended) s->end();
}

void FrameHub::close_locked(std::vector<std::shared_ptr<FrameSubscription>>& ended) {
    for (auto& weak : subscribers_)
        if (auto s = weak.lock()) ended.push_back(std::move(s));
    subscribers_.clear();
    task_id_.clear();
    latest_.reset();
}

bool FrameHub::is_open() const {
    std::lock_guard lock(mutex_);
    return !task_id_.empty();
}

std::string FrameHub::task_id() const {
    std::lock_guard lock(mutex_);
    return task_id_;
}

void FrameHub::publish(FramePtr frame) {
    std::vector<std::shared_ptr<FrameSubscription>> targets;
    {
        std::lock_guard lock(mutex_);
        if (task_id_.empty() || frame->task_id != task_id_) return;
        latest_ = frame;
        targets.reserve(subscribers_.size());
        std::erase_if(subscribers_, [&](const std::weak_ptr<FrameSubscription>& weak) {
            auto s = weak.lock();
            if (!s) return true;
            targets.push_back(std::move(s));
            return false;
        });
    }
    for (auto& s : targets) s->offer(frame);
}

std::shared_ptr<FrameSubscription> FrameHub::subscribe(net::any_io_executor strand, FeedTransport transport) {
    std::lock_guard lock(mutex_);
    if (task_id_.empty()) return nullptr;
    auto s = std::make_shared<FrameSubscription>(std::move(strand), metrics_, transport);
    subscribers_.push_back(s);
    if (latest_) s->offer(latest_);  // a new viewer sees the current picture at once, not after 1/fps
    return s;
}

std::size_t FrameHub::subscriber_count() const {
    std::lock_guard lock(mutex_);
    return subscribers_.size();
}

}  // namespace redred::screen
