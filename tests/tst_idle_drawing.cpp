// Drawing that gives way to what it measures (idle_drawing.h, issue 14): the GUI thread draws under
// SCHED_IDLE while a run without compute tasks measures, only while it draws, never so when the
// system would not let it come back, and backs off when idle drawing is starved; nothing the window
// starts inherits the idle policy.
#include "idle_drawing.h"
#include "own_children.h"
#include "percentile_plot.h"
#include "thread_priority.h"
#include "thread_stat.h"
#include "window_options.h"
#include "window_test_main.h"

#include <QtTest>

#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace {

constexpr const char* kNeedsPrivilege =
    "drawing at idle priority needs CAP_SYS_NICE (root, or an RLIMIT_NICE of 20) to come back from it";

// Scheduling policy (SCHED_OTHER, SCHED_IDLE, ...) of every thread of process `pid`.
std::map<qint64, int> threadPolicies(qint64 pid) {
    return threadStatFields(pid, 41);
}

int idleThreads(const std::map<qint64, int>& policies) {
    return int(std::count_if(policies.begin(), policies.end(),
                             [](const auto& p) { return p.second == SCHED_IDLE; }));
}

// Runs `f` on a thread of its own, so that what it does to its thread's scheduling stays there.
template <class F> void onScratchThread(F&& f) {
    std::thread(std::forward<F>(f)).join();
}

} // namespace

class TestIdleDrawing : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { qputenv("LATENCY_PONG", LE_PONG_PATH); }
    void init() { IdleDrawing::setWanted(false); }
    void reversibleWhereTheSystemAllowsIt();
    void idlePolicyKeepsTheNiceValue();
    void starvationRule_data();
    void starvationRule();
    void scopeSwitchesOnlyWhenWanted_data();
    void scopeSwitchesOnlyWhenWanted();
    void starvedDrawingBacksOff();
    void windowDrawsIdleOnlyWhereItMay_data();
    void windowDrawsIdleOnlyWhereItMay();
    void liveTasksEndIdleDrawing();
};

void TestIdleDrawing::reversibleWhereTheSystemAllowsIt() {
    // Root has CAP_SYS_NICE: there the way back must be found, or the window would never draw idle.
    if (::geteuid() == 0)
        QVERIFY(le::idle_policy_reversible());
    QCOMPARE(IdleDrawing::available(), le::idle_policy_reversible());
    // The probe ran on a thread of its own: this one is untouched.
    QVERIFY(!le::thread_idle_policy());
    QCOMPARE(sched_getscheduler(0), SCHED_OTHER);
}

void TestIdleDrawing::idlePolicyKeepsTheNiceValue() {
    if (!le::idle_policy_reversible())
        QSKIP(kNeedsPrivilege);
    int during = -1, after = -1, niceAfter = -100;
    bool wentIdle = false, cameBack = false, idleAfter = true;
    onScratchThread([&] {
        le::set_thread_nice(5);
        wentIdle = le::set_thread_idle_policy(true);
        during = sched_getscheduler(0);
        cameBack = le::set_thread_idle_policy(false);
        after = sched_getscheduler(0);
        idleAfter = le::thread_idle_policy();
        niceAfter = le::thread_nice();
    });
    QVERIFY(wentIdle);
    QCOMPARE(during, SCHED_IDLE);
    QVERIFY(cameBack);
    QCOMPARE(after, SCHED_OTHER);
    QVERIFY(!idleAfter);
    QCOMPARE(niceAfter, 5);
}

void TestIdleDrawing::starvationRule_data() {
    QTest::addColumn<double>("waitedMs");
    QTest::addColumn<double>("cpuMs");
    QTest::addColumn<bool>("starved");
    // Preempted by the round trips for about as long as it ran: the normal case on 2 busy vCPUs.
    QTest::newRow("shared CPU") << 4.0 << 5.0 << false;
    // A long rebuild that waited as long as it ran is not starved, however long.
    QTest::newRow("long rebuild") << 40.0 << 30.0 << false;
    // Waited 30 ms for 2 ms of work: a busy-polling peer or another program's load.
    QTest::newRow("starved") << 30.0 << 2.0 << true;
    QTest::newRow("short wait") << 20.0 << 1.0 << false;
}

void TestIdleDrawing::starvationRule() {
    QFETCH(double, waitedMs);
    QFETCH(double, cpuMs);
    QFETCH(bool, starved);
    QCOMPARE(IdleDrawing::starved(waitedMs, cpuMs), starved);
}

void TestIdleDrawing::scopeSwitchesOnlyWhenWanted_data() {
    QTest::addColumn<bool>("wanted");
    QTest::newRow("wanted") << true;
    QTest::newRow("not wanted") << false;
}

void TestIdleDrawing::scopeSwitchesOnlyWhenWanted() {
    QFETCH(bool, wanted);
    const bool idle = wanted && IdleDrawing::available();
    IdleDrawing::setWanted(wanted);
    {
        const IdleDrawing::Scope outer;
        QCOMPARE(le::thread_idle_policy(), idle);
        {
            const IdleDrawing::Scope inner; // nested: no switch of its own
            QCOMPARE(le::thread_idle_policy(), idle);
        }
        QCOMPARE(le::thread_idle_policy(), idle); // the inner scope's end does not end the spell
    }
    QVERIFY(!le::thread_idle_policy());
    QCOMPARE(sched_getscheduler(0), SCHED_OTHER);
    QCOMPARE(IdleDrawing::lastSpellIdle(), idle);
    if (wanted && !IdleDrawing::available())
        QVERIFY(IdleDrawing::describe().contains("CAP_SYS_NICE"));
}

void TestIdleDrawing::starvedDrawingBacksOff() {
    if (!IdleDrawing::available())
        QSKIP(kNeedsPrivilege);
    IdleDrawing::setWanted(true);
    const std::uint64_t before = IdleDrawing::starvedSpells();
    {
        const IdleDrawing::Scope drawing;
        QVERIFY(le::thread_idle_policy());
        // 60 ms off the CPU for next to no work: what a spell waiting behind busy threads looks like.
        std::this_thread::sleep_for(std::chrono::milliseconds(60));
    }
    QCOMPARE(IdleDrawing::starvedSpells(), before + 1);
    QVERIFY(IdleDrawing::backingOff());
    QVERIFY2(IdleDrawing::describe().contains("starved"), qPrintable(IdleDrawing::describe()));
    {
        const IdleDrawing::Scope drawing; // held at normal priority for the first second
        QVERIFY(!le::thread_idle_policy());
    }
    QVERIFY(!IdleDrawing::lastSpellIdle());
    QTRY_VERIFY_WITH_TIMEOUT(!IdleDrawing::backingOff(), 1500);
    {
        const IdleDrawing::Scope drawing; // idle again, and starved again at once
        QVERIFY(le::thread_idle_policy());
        std::this_thread::sleep_for(std::chrono::milliseconds(60));
    }
    QCOMPARE(IdleDrawing::starvedSpells(), before + 2);
    // Starved again within 30 s: the hold doubles, to 2 s.
    QTest::qWait(1300);
    QVERIFY(IdleDrawing::backingOff());
    QTRY_VERIFY_WITH_TIMEOUT(!IdleDrawing::backingOff(), 1500);
    {
        const IdleDrawing::Scope drawing; // a spell that was not starved
        QVERIFY(le::thread_idle_policy());
    }
    QCOMPARE(IdleDrawing::starvedSpells(), before + 2);
    QVERIFY(IdleDrawing::lastSpellIdle());
}

void TestIdleDrawing::windowDrawsIdleOnlyWhereItMay_data() {
    QTest::addColumn<QString>("engine");
    QTest::addColumn<QString>("tasks");
    QTest::addColumn<bool>("idle");
    QTest::newRow("blocking, no tasks") << "blocking"
                                        << "0" << true;
    QTest::newRow("asio, no tasks") << "asio"
                                    << "0" << true;
    // Tasks run the measured threads below the GUI thread instead (the window stays usable).
    QTest::newRow("blocking, 2 tasks") << "blocking"
                                       << "2" << false;
    // A busy-polling engine leaves no idle CPU to draw in.
    QTest::newRow("spin") << "spin"
                          << "0" << false;
}

void TestIdleDrawing::windowDrawsIdleOnlyWhereItMay() {
    QFETCH(QString, engine);
    QFETCH(QString, tasks);
    QFETCH(bool, idle);
    WindowOptions o = childPeerOptions();
    o.engine = le::parse_engine(engine.toStdString());
    o.tasks = tasks;
    MainWindow w(o);
    auto* curves = w.findChild<PercentilePlot*>(QStringLiteral("percentilePlot"));
    QVERIFY(curves);
    // Counted from a shown, running window: showing it lays the plots out and replots them outside
    // any drawing spell (a layout is not a redraw), and a loaded host may have started the run by then.
    w.show();
    QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Running, 10000);
    QCoreApplication::processEvents();
    // A replot at normal priority is explained only by a starved spell before it (on a loaded host,
    // or under a sanitizer, the guard holds drawing at normal priority for a while). A hold left by
    // the rows before ends first, so that any hold in this row comes from a spell of this row.
    QTRY_VERIFY_WITH_TIMEOUT(!IdleDrawing::backingOff(), 70000);
    const std::uint64_t starvedBefore = IdleDrawing::starvedSpells();
    int idleReplots = 0, heldReplots = 0, normalReplots = 0;
    connect(curves, &QCustomPlot::beforeReplot, curves, [&] {
        if (w.bridge()->state() != SessionBridge::State::Running)
            return;
        if (le::thread_idle_policy())
            ++idleReplots;
        else
            ++(IdleDrawing::starvedSpells() > starvedBefore ? heldReplots : normalReplots);
    });
    const bool mayIdle = idle && IdleDrawing::available();
    // Where drawing may idle, a hold ends within seconds (it doubles from 1 s while spells starve).
    QTRY_VERIFY_WITH_TIMEOUT(
        idleReplots + heldReplots + normalReplots >= 20 && (idleReplots >= 1 || !mayIdle), 20000);
    const std::string drawing = w.bridge()->history()->info().at("drawing");
    const QString counts = QStringLiteral("%1 idle, %2 held at normal after %3 starved spell(s), %4 normal")
                               .arg(idleReplots)
                               .arg(heldReplots)
                               .arg(IdleDrawing::starvedSpells() - starvedBefore)
                               .arg(normalReplots);
    if (mayIdle) {
        // Every replot of the run is idle, or held at normal priority by the starvation guard.
        QVERIFY2(normalReplots == 0, qPrintable(counts));
        QVERIFY2(drawing.find("idle priority") != std::string::npos, drawing.c_str());
    } else {
        QVERIFY2(idleReplots == 0 && heldReplots == 0, qPrintable(counts));
        QVERIFY2(drawing.find("normal priority") != std::string::npos, drawing.c_str());
    }
    // Between drawing spells the GUI thread is back at normal priority, and nothing else of this
    // process, nor the pong child it started, ever runs idle.
    QVERIFY(!le::thread_idle_policy());
    const qint64 self = QCoreApplication::applicationPid();
    QCOMPARE(idleThreads(threadPolicies(self)), 0);
    const QList<qint64> pongs = ownChildren("latency-pong");
    QCOMPARE(pongs.size(), 1);
    const std::map<qint64, int> pong = threadPolicies(pongs.front());
    QVERIFY(!pong.empty());
    QCOMPARE(idleThreads(pong), 0);
    w.stopMeasuring();
    QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Idle, 10000);
    if (idle && !mayIdle)
        QSKIP(kNeedsPrivilege); // drawn at normal priority instead, as checked above
}

// Tasks added to a running session end idle drawing at once (they load every core: drawing at idle
// priority behind them crawled, the window frozen for seconds); taken away, it comes back.
void TestIdleDrawing::liveTasksEndIdleDrawing() {
    WindowOptions o = childPeerOptions();
    o.engine = le::EngineKind::Asio;
    o.tasks = QStringLiteral("0");
    MainWindow w(o);
    auto* curves = w.findChild<PercentilePlot*>(QStringLiteral("percentilePlot"));
    QVERIFY(curves);
    w.show();
    QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Running, 10000);
    QVERIFY(w.bridge()->drawingMayIdle());
    QTRY_VERIFY_WITH_TIMEOUT(!IdleDrawing::backingOff(), 70000); // a hold left by earlier checks
    int idleReplots = 0, replots = 0;
    connect(curves, &QCustomPlot::beforeReplot, curves, [&] {
        ++replots;
        idleReplots += le::thread_idle_policy() ? 1 : 0;
    });
    const bool mayIdle = IdleDrawing::available();
    QTRY_VERIFY_WITH_TIMEOUT(replots >= 3 && (idleReplots > 0 || !mayIdle), 20000);

    QCOMPARE(w.bridge()->apply(QStringLiteral("tasks"), QStringLiteral("50")), QString());
    QTRY_VERIFY_WITH_TIMEOUT(!w.bridge()->drawingMayIdle(), 5000);
    const int idleBefore = idleReplots, replotsBefore = replots;
    QTRY_VERIFY_WITH_TIMEOUT(replots >= replotsBefore + 10, 20000);
    QCOMPARE(idleReplots, idleBefore); // every replot since at normal priority
    QCOMPARE(w.bridge()->state(), SessionBridge::State::Running);

    QCOMPARE(w.bridge()->apply(QStringLiteral("tasks"), QStringLiteral("0")), QString());
    QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->drawingMayIdle(), 5000);
    w.stopMeasuring();
    QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Idle, 10000);
}

LE_WINDOW_TEST_MAIN(TestIdleDrawing)
#include "tst_idle_drawing.moc"
