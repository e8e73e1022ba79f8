#include "background_worker.h"

#include <QMetaObject>

#include <pthread.h>

void JobContext::deliver(std::function<void()> call) const {
    // Queued to the owner itself: Qt drops events posted to an object when it dies, and the gate,
    // checked on the owner's thread, drops what a discarded job or a shut-down worker sent.
    QMetaObject::invokeMethod(
        m_owner,
        [gate = m_gate, job = m_job, call = std::move(call)] {
            if (gate->accepts(job))
                call();
        },
        Qt::QueuedConnection);
}

BackgroundWorker::BackgroundWorker(QObject* owner, std::string name)
    : m_owner(owner)
    , m_name(std::move(name)) {}

BackgroundWorker::~BackgroundWorker() {
    shutdown();
}

void BackgroundWorker::enqueue(std::function<void(const JobContext&)> run) {
    if (m_shutdown)
        return;
    Entry entry{++m_posted, std::make_shared<std::atomic<bool>>(false), std::move(run)};
    {
        const std::lock_guard lock(m_mutex);
        m_queue.push_back(std::move(entry));
    }
    m_wake.notify_one();
    if (!m_thread.joinable())
        m_thread = std::thread([this] { runLoop(); });
}

void BackgroundWorker::runLoop() {
    // Linux keeps 15 characters and a terminating zero.
    const std::string name = m_name.substr(0, 15);
    pthread_setname_np(pthread_self(), name.c_str());
    for (;;) {
        Entry entry;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_quit || !m_queue.empty(); });
            if (m_quit)
                return;
            entry = std::move(m_queue.front());
            m_queue.pop_front();
            m_running = entry.stop;
        }
        entry.run(JobContext(m_owner, m_gate, entry.number, entry.stop));
        const std::lock_guard lock(m_mutex);
        m_running.reset();
    }
}

void BackgroundWorker::requestStop() {
    const std::lock_guard lock(m_mutex);
    if (m_running)
        *m_running = true;
    for (Entry& e : m_queue)
        *e.stop = true;
}

void BackgroundWorker::discard() {
    m_gate->discardedThrough = m_posted;
    requestStop();
}

void BackgroundWorker::shutdown() {
    if (m_shutdown)
        return;
    m_shutdown = true;
    m_gate->open = false;
    std::deque<Entry> dropped; // destroyed here, outside the lock: they may own heavy things
    {
        const std::lock_guard lock(m_mutex);
        if (m_running)
            *m_running = true;
        dropped.swap(m_queue);
        m_quit = true;
    }
    m_wake.notify_one();
    if (m_thread.joinable())
        m_thread.join();
}
