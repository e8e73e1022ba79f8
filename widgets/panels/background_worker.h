#pragma once

#include <QObject>
#include <QString>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

// What a job returned, or what it threw. T must be default-constructible and copyable.
template <class T> struct JobResult {
    T value{};                    // the job's return value; default-constructed when it threw
    std::optional<QString> error; // what() of the exception it threw
    bool ok() const { return !error; }
};

template <> struct JobResult<void> {
    std::optional<QString> error;
    bool ok() const { return !error; }
};

namespace detail {
// Which jobs may still deliver. Read and written on the owner's thread only; the delivered calls
// share it so that they can check it there.
struct DeliveryGate {
    bool open = true;
    std::uint64_t discardedThrough = 0; // jobs numbered up to this one deliver nothing
    bool accepts(std::uint64_t job) const { return open && job > discardedThrough; }
};
} // namespace detail

// What a running job gets on the worker thread: its stop request and the way back to the owner.
class JobContext {
public:
    // True once the owner asked this job to stop (cancel, discard, or the owner is going away).
    bool stopRequested() const { return m_stop->load(); }
    // The same request as a flag for the core's APIs (run_sweep, run_compare); valid while the job
    // runs.
    const std::atomic<bool>* stopFlag() const { return m_stop.get(); }
    // Runs `call` on the owner's thread, queued after everything this job delivered before. It
    // never runs once the owner's worker is shut down or the job was discarded, so it may use the
    // owner freely; it must carry values, not references into the job.
    void deliver(std::function<void()> call) const;

private:
    friend class BackgroundWorker;
    JobContext(QObject* owner, std::shared_ptr<detail::DeliveryGate> gate, std::uint64_t job,
               std::shared_ptr<std::atomic<bool>> stop)
        : m_owner(owner)
        , m_gate(std::move(gate))
        , m_job(job)
        , m_stop(std::move(stop)) {}

    QObject* m_owner;
    std::shared_ptr<detail::DeliveryGate> m_gate;
    std::uint64_t m_job;
    std::shared_ptr<std::atomic<bool>> m_stop;
};

// The one way work leaves the GUI thread: a worker thread owned by a QObject (the owner), running
// the jobs posted to it one after the other. Whatever a job hands back (its progress through
// JobContext::deliver, then its result or exception) reaches the owner as queued calls on the
// owner's thread, in order. The worker is a member of its owner, declared after everything its
// jobs' deliveries use; its destructor (or shutdown()) asks the running job to stop, drops the
// queued ones and joins, so nothing is delivered to an owner that has died. Two shapes:
//   one long job with progress   post() once; deliver() as it goes; requestStop() to cancel
//   a serial queue of requests   post() each request; they run in order on the one thread
// All member functions are called on the owner's thread. The thread starts with the first job.
class BackgroundWorker {
public:
    // `name` names the thread (ps, gdb; at most 15 characters are kept).
    explicit BackgroundWorker(QObject* owner, std::string name = "worker");
    ~BackgroundWorker(); // shutdown()
    BackgroundWorker(const BackgroundWorker&) = delete;
    BackgroundWorker& operator=(const BackgroundWorker&) = delete;

    // Queues `job` behind the jobs posted before it. It runs on the worker thread as
    // job(const JobContext&) or job(); then `done(JobResult<R>)` runs on the owner's thread with
    // what it returned (R may be void) or the text of the exception it threw. A discarded job
    // still runs (asked to stop) but `done` does not; after shutdown() neither runs. Both must be
    // copyable.
    template <class Job, class Done> void post(Job job, Done done) {
        enqueue([job = std::move(job), done = std::move(done)](const JobContext& context) mutable {
            using R = std::remove_cvref_t<decltype(invokeJob(job, context))>;
            JobResult<R> result;
            try {
                if constexpr (std::is_void_v<R>)
                    invokeJob(job, context);
                else
                    result.value = invokeJob(job, context);
            } catch (const std::exception& e) {
                result.error = QString::fromUtf8(e.what());
            } catch (...) {
                result.error = QStringLiteral("unknown exception");
            }
            context.deliver([done, result = std::move(result)]() mutable { done(std::move(result)); });
        });
    }

    // Asks the running job and the queued ones to stop; they still end through `done`, so a long
    // job can report what it finished before it stopped.
    void requestStop();
    // Asks every job posted so far to stop and drops whatever they would still deliver (a result
    // nobody wants any more: a start superseded by a stop). Jobs posted later deliver as usual.
    void discard();
    // Discards, drops the queued jobs, waits for the running one to return and ends the thread.
    // Blocks as long as that job takes to notice the stop. Later posts are dropped. Idempotent.
    void shutdown();

private:
    struct Entry {
        std::uint64_t number = 0;
        std::shared_ptr<std::atomic<bool>> stop;
        std::function<void(const JobContext&)> run;
    };

    template <class Job> static decltype(auto) invokeJob(Job& job, const JobContext& context) {
        if constexpr (std::is_invocable_v<Job&, const JobContext&>)
            return job(context);
        else
            return job();
    }

    void enqueue(std::function<void(const JobContext&)> run);
    void runLoop();

    QObject* m_owner;
    std::string m_name;
    std::shared_ptr<detail::DeliveryGate> m_gate = std::make_shared<detail::DeliveryGate>();
    std::uint64_t m_posted = 0; // number of the last job posted (owner's thread)
    bool m_shutdown = false;

    std::mutex m_mutex; // guards m_queue, m_running and m_quit, shared with the worker thread
    std::condition_variable m_wake;
    std::deque<Entry> m_queue;
    std::shared_ptr<std::atomic<bool>> m_running; // the running job's stop flag, if one runs
    bool m_quit = false;

    std::thread m_thread;
};
