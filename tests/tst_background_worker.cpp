// BackgroundWorker, the one way from worker threads to the GUI: what a job hands back arrives on
// the owner's thread in order, a dying owner stops and joins its job and gets nothing afterwards,
// queued requests run in order on one thread, and a job's exception reaches its owner.
#include "background_worker.h"

#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

// What the owner and its jobs saw; it outlives the owner so that the test can look after its death.
struct Log {
    std::mutex mutex;
    std::vector<int> delivered;       // in the order the owner got them
    std::vector<int> done;            // results, in the order the owner got them
    std::vector<QString> errors;      // exceptions reported to the owner
    std::vector<std::thread::id> ran; // the thread of every job
    bool allOnOwnerThread = true;
    std::atomic<bool> started{false};
    std::atomic<bool> sawStop{false};
    std::atomic<bool> ended{false};
    std::atomic<bool> secondRan{false};
    std::atomic<bool> ownerDead{false};
    std::atomic<int> afterDeath{0};
    std::atomic<int> doneCount{0};

    void record(const QObject* owner, std::vector<int>& into, int value) {
        if (ownerDead)
            ++afterDeath; // counted before the owner is touched below
        const std::lock_guard lock(mutex);
        allOnOwnerThread = allOnOwnerThread && QThread::currentThread() == owner->thread();
        into.push_back(value);
    }
};

// An owner as the widgets have one: the worker is its last member, so it is joined before the
// rest of the owner goes.
class Owner : public QObject {
public:
    explicit Owner(std::shared_ptr<Log> log)
        : m_log(std::move(log)) {}
    ~Owner() override { m_log->ownerDead = true; }

    // Posts a job that delivers 0 … steps-1 and returns `steps`.
    void postCounting(int steps) {
        m_worker.post(
            [log = m_log, steps, this](const JobContext& context) {
                log->ran.push_back(std::this_thread::get_id());
                for (int i = 0; i < steps; ++i)
                    context.deliver([this, i] { m_log->record(this, m_log->delivered, i); });
                return steps;
            },
            [this](const JobResult<int>& r) { finish(r.value, r.error); });
    }

    // Posts a job that runs until it is asked to stop (delivering if `deliver`), then lingers a
    // little so that a missing join would show.
    void postUntilStopped(bool deliver) {
        m_worker.post(
            [log = m_log, deliver, this](const JobContext& context) {
                log->started = true;
                for (int i = 0; !context.stopRequested(); ++i) {
                    if (deliver)
                        context.deliver([this, i] { m_log->record(this, m_log->delivered, i); });
                    std::this_thread::sleep_for(1ms);
                }
                log->sawStop = true;
                std::this_thread::sleep_for(30ms);
                log->ended = true;
                return -1;
            },
            [this](const JobResult<int>& r) { finish(r.value, r.error); });
    }

    void postSecond() {
        m_worker.post([log = m_log] { log->secondRan = true; },
                      [this](const JobResult<void>& r) { finish(2, r.error); });
    }

    BackgroundWorker& worker() { return m_worker; }

private:
    void finish(int value, const std::optional<QString>& error) {
        m_log->record(this, m_log->done, value);
        if (error) {
            const std::lock_guard lock(m_log->mutex);
            m_log->errors.push_back(*error);
        }
        ++m_log->doneCount;
    }

    std::shared_ptr<Log> m_log;
    BackgroundWorker m_worker{this, "test worker"};
};

std::vector<int> upTo(int n) {
    std::vector<int> v;
    for (int i = 0; i < n; ++i)
        v.push_back(i);
    return v;
}

// Starts a job that delivers until it is asked to stop; true once the owner got a first delivery.
bool deliveringJobUnderWay(Owner& owner, const Log& log) {
    owner.postUntilStopped(true);
    return QTest::qWaitFor([&log] { return !log.delivered.empty(); }, 5000);
}

// Runs `f` on `owner`'s thread and waits for it.
template <class F> void onOwnerThread(QObject* owner, F f) {
    if (owner->thread() == QThread::currentThread())
        f();
    else
        QMetaObject::invokeMethod(owner, f, Qt::BlockingQueuedConnection);
}

} // namespace

class TestBackgroundWorker : public QObject {
    Q_OBJECT
private slots:
    void resultsArriveOnTheOwnersThreadInOrder_data();
    void resultsArriveOnTheOwnersThreadInOrder();
    void dyingOwnerStopsAndJoinsAndGetsNothingMore_data();
    void dyingOwnerStopsAndJoinsAndGetsNothingMore();
    void requestStopStillDeliversTheEnd();
    void discardDropsWhatAStaleJobSends();
    void queuedRequestsRunInOrderOnOneThread_data();
    void queuedRequestsRunInOrderOnOneThread();
    void exceptionInAJobIsReported_data();
    void exceptionInAJobIsReported();
};

void TestBackgroundWorker::resultsArriveOnTheOwnersThreadInOrder_data() {
    QTest::addColumn<int>("steps");
    QTest::addColumn<bool>("ownerOnItsOwnThread");
    for (int steps : {0, 1, 200}) {
        QTest::addRow("%d steps, GUI-thread owner", steps) << steps << false;
        QTest::addRow("%d steps, owner on another thread", steps) << steps << true;
    }
}

void TestBackgroundWorker::resultsArriveOnTheOwnersThreadInOrder() {
    QFETCH(int, steps);
    QFETCH(bool, ownerOnItsOwnThread);
    auto log = std::make_shared<Log>();
    QThread ownerThread;
    auto* owner = new Owner(log);
    if (ownerOnItsOwnThread) {
        owner->moveToThread(&ownerThread);
        ownerThread.start();
    }
    onOwnerThread(owner, [owner, steps] { owner->postCounting(steps); });
    QTRY_COMPARE_WITH_TIMEOUT(log->doneCount.load(), 1, 10000);
    onOwnerThread(owner, [owner] { delete owner; });
    ownerThread.quit();
    ownerThread.wait();

    QCOMPARE(log->delivered, upTo(steps));
    QCOMPARE(log->done, std::vector<int>{steps});
    QVERIFY(log->errors.empty());
    QVERIFY(log->allOnOwnerThread);
    QCOMPARE(log->ran.size(), std::size_t(1));
    QVERIFY(log->ran.front() != std::this_thread::get_id()); // the job ran on the worker thread
}

void TestBackgroundWorker::dyingOwnerStopsAndJoinsAndGetsNothingMore_data() {
    QTest::addColumn<bool>("deliver");
    QTest::addColumn<bool>("queueAnother");
    QTest::addRow("delivering") << true << false;
    QTest::addRow("silent") << false << false;
    QTest::addRow("delivering, another job queued") << true << true;
}

void TestBackgroundWorker::dyingOwnerStopsAndJoinsAndGetsNothingMore() {
    QFETCH(bool, deliver);
    QFETCH(bool, queueAnother);
    auto log = std::make_shared<Log>();
    auto* owner = new Owner(log);
    owner->postUntilStopped(deliver);
    if (queueAnother)
        owner->postSecond();
    QTRY_VERIFY_WITH_TIMEOUT(log->started.load(), 5000);
    if (deliver) // some deliveries are through, more are queued when the owner dies
        QTRY_VERIFY_WITH_TIMEOUT(!log->delivered.empty(), 5000);

    delete owner;
    QVERIFY(log->sawStop);
    QVERIFY(log->ended); // joined: the destructor waited for the job to return
    QTest::qWait(100);   // anything still queued would arrive now
    QCOMPARE(log->afterDeath.load(), 0);
    QCOMPARE(log->doneCount.load(), 0);
    QVERIFY(!log->secondRan);
}

void TestBackgroundWorker::requestStopStillDeliversTheEnd() {
    // A cancelled sweep or comparison still says how it ended.
    auto log = std::make_shared<Log>();
    Owner owner(log);
    QVERIFY(deliveringJobUnderWay(owner, *log));
    owner.worker().requestStop();
    QTRY_COMPARE_WITH_TIMEOUT(log->doneCount.load(), 1, 5000);
    QVERIFY(log->sawStop);
    QCOMPARE(log->done, std::vector<int>{-1});
    QCOMPARE(log->delivered, upTo(int(log->delivered.size()))); // in order, none lost before done
}

void TestBackgroundWorker::discardDropsWhatAStaleJobSends() {
    // A session start superseded by a stop and a new start: only the new start's result counts.
    auto log = std::make_shared<Log>();
    Owner owner(log);
    QVERIFY(deliveringJobUnderWay(owner, *log));
    owner.worker().discard();
    const std::size_t before = log->delivered.size();
    owner.postCounting(3);
    QTRY_COMPARE_WITH_TIMEOUT(log->doneCount.load(), 1, 5000);
    QVERIFY(log->sawStop);
    QCOMPARE(log->done, std::vector<int>{3}); // not the stale job's -1
    std::vector<int> expected(log->delivered.begin(), log->delivered.begin() + std::ptrdiff_t(before));
    for (int i : upTo(3))
        expected.push_back(i);
    QCOMPARE(log->delivered, expected); // nothing of the stale job after the discard
}

void TestBackgroundWorker::queuedRequestsRunInOrderOnOneThread_data() {
    QTest::addColumn<int>("requests");
    QTest::addRow("one") << 1;
    QTest::addRow("ten") << 10;
    QTest::addRow("a thousand") << 1000;
}

void TestBackgroundWorker::queuedRequestsRunInOrderOnOneThread() {
    QFETCH(int, requests);
    auto log = std::make_shared<Log>();
    Owner owner(log);
    std::vector<int> order; // as the worker ran them: only the worker thread writes it
    for (int i = 0; i < requests; ++i)
        owner.worker().post(
            [&order, log, i] {
                log->ran.push_back(std::this_thread::get_id());
                order.push_back(i);
                return i;
            },
            [log, &owner](const JobResult<int>& r) {
                log->record(&owner, log->done, r.value);
                ++log->doneCount;
            });
    QTRY_COMPARE_WITH_TIMEOUT(log->doneCount.load(), requests, 10000);
    QCOMPARE(order, upTo(requests));
    QCOMPARE(log->done, upTo(requests));
    QVERIFY(log->allOnOwnerThread);
    QCOMPARE(log->ran.size(), std::size_t(requests));
    for (const auto& id : log->ran)
        QVERIFY(id == log->ran.front());
    QVERIFY(log->ran.front() != std::this_thread::get_id());
}

void TestBackgroundWorker::exceptionInAJobIsReported_data() {
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("error");
    QTest::addRow("runtime_error") << 0 << "peer unreachable";
    QTest::addRow("invalid_argument") << 1 << "bad rate";
    QTest::addRow("not a std::exception") << 2 << "unknown exception";
}

void TestBackgroundWorker::exceptionInAJobIsReported() {
    QFETCH(int, kind);
    QFETCH(QString, error);
    auto log = std::make_shared<Log>();
    Owner owner(log);
    std::optional<QString> reported;
    bool valueDefault = false;
    owner.worker().post(
        [kind]() -> std::vector<int> {
            if (kind == 0)
                throw std::runtime_error("peer unreachable");
            if (kind == 1)
                throw std::invalid_argument("bad rate");
            throw 42;
        },
        [&](const JobResult<std::vector<int>>& r) {
            reported = r.error;
            valueDefault = r.value.empty() && !r.ok();
        });
    owner.postCounting(2); // the worker goes on after a failed job
    QTRY_COMPARE_WITH_TIMEOUT(log->doneCount.load(), 1, 5000);
    QVERIFY(reported.has_value());
    QCOMPARE(*reported, error);
    QVERIFY(valueDefault);
    QCOMPARE(log->done, std::vector<int>{2});
    QCOMPARE(log->delivered, upTo(2));
}

QTEST_GUILESS_MAIN(TestBackgroundWorker)
#include "tst_background_worker.moc"
