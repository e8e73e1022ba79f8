// Safe under overload: the compute load is shown beside the tasks, counts beyond the engine's
// limit are refused in place (100000 tasks, in the window, on its command line and in the core), a
// load above 100% is applied only once confirmed, remembered settings never restart into an
// overload, and a run the ping's own starvation ended says "ping overloaded", not "peer lost".
#include "controls_panel.h"
#include "main_window.h"
#include "modal_answer.h"
#include "peer_panel.h"
#include "ping_config.h"
#include "ping_session.h"
#include "widget_lookup.h"
#include "window_test_main.h"
#include "window_test_support.h"

#include <QtTest>

#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>

namespace {

WindowOptions idle() {
    WindowOptions o;
    o.inProcess = true;
    o.autoStart = false;
    return o;
}

// Types `text` into a control's entry and presses Enter, as a user would.
void type(LogSliderEntry* control, const QString& text) {
    QLineEdit* entry = child<QLineEdit>(control, "entry");
    entry->clear();
    QTest::keyClicks(entry, text);
    QTest::keyClick(entry, Qt::Key_Return);
}

void answerOverload(QMessageBox::StandardButton button) {
    answerNextModal([button](QWidget* m) {
        auto* box = qobject_cast<QMessageBox*>(m);
        QVERIFY(box);
        QCOMPARE(box->objectName(), QString("overloadBox"));
        QVERIFY(box->text().contains("1000%"));
        box->button(button)->click();
    });
}

} // namespace

class TestOverload : public QObject {
    Q_OBJECT

private slots:
    void init() { QSettings().clear(); }

    void tooManyTasksAreRefusedInPlace() {
        MainWindow w(idle());
        auto* controls = child<ControlsPanel>(&w, "controlsPanel");
        QSignalSpy asked(controls, &ControlsPanel::changeRequested);
        type(controls->tasks(), "100000");
        QCOMPARE(controls->tasks()->value(), QString("0"));
        QCOMPARE(asked.count(), 0);
        QLabel* error = nullptr;
        for (QLabel* l : controls->tasks()->findChildren<QLabel*>())
            if (l->text().contains("at most 2000 tasks with the blocking engine"))
                error = l;
        QVERIFY(error);
        QVERIFY(error->isVisibleTo(controls->tasks()));
        // Escape gives the last valid value back and takes the refusal away.
        QTest::keyClick(child<QLineEdit>(controls->tasks(), "entry"), Qt::Key_Escape);
        QCOMPARE(child<QLineEdit>(controls->tasks(), "entry")->text(), QString("0"));
        QVERIFY(!error->isVisibleTo(controls->tasks()));
        // The core refuses it too, before a run or live.
        le::PingConfig c;
        c.tasks = 100000;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, le::validate(c));
        c.tasks = 2000;
        le::validate(c);
        c.engine = le::EngineKind::Asio;
        c.tasks = 10001;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, le::validate(c));
        le::PingSession session(le::PingConfig{});
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, session.apply("tasks", "100000"));
        // And so does the command line.
        QProcess p;
        p.start(LE_EXPLORER_PATH,
                {"-platform", "offscreen", "--tasks", "100000", "--screenshot", "/dev/null"});
        QVERIFY(p.waitForFinished(20000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(QString::fromUtf8(p.readAllStandardError())
                    .contains("at most 2000 tasks with the blocking engine"));
    }

    void loadIsShownBesideTheTasks() {
        MainWindow w(idle());
        auto* controls = child<ControlsPanel>(&w, "controlsPanel");
        controls->setCores(2);
        answerOverload(QMessageBox::Apply);
        type(controls->tasks(), "1000"); // 1000 × 20 us per 1 ms = 20 cores
        QCOMPARE(controls->loadLabel()->text(), QString("load 1000% of 2 cores (needs 20)"));
        type(controls->taskWork(), "1us"); // down to 50%: no question
        QCOMPARE(controls->loadLabel()->text(), QString("load 50% of 2 cores"));
    }

    // Between two non-zero counts, tasks change live on the session's worker, so starting or
    // stopping their threads takes the GUI thread no time: the records take the new count, stamped
    // as a change. What the system refuses there comes back later, on the control.
    void tasksChangeLiveOffTheGuiThread() {
        WindowOptions o = idle();
        o.autoStart = true;
        o.engine = le::EngineKind::Blocking; // a thread per task
        o.tasks = QStringLiteral("2");
        MainWindow w(o);
        QVERIFY(waitRunning(w));
        auto* controls = child<ControlsPanel>(&w, "controlsPanel");
        controls->setCores(2);
        const std::size_t before = w.bridge()->history()->intervals().size();
        type(controls->tasks(), "20"); // 20 x 20 us per 1 ms: 20% of 2 cores, no question
        QVERIFY(QTest::qWaitFor(
            [&] {
                bool changed = false;
                for (const auto& r : recordsSince(w, before)) {
                    for (const auto& c : r.changes)
                        changed |= c.key == "tasks" && c.value == "20";
                    if (changed && r.tasks == 20)
                        return true;
                }
                return false;
            },
            5000));
        QCOMPARE(w.bridge()->state(), SessionBridge::State::Running); // the same run, not a restart
        emit w.bridge()->changeRefused(QStringLiteral("tasks"), QStringLiteral("tasks 20: only 7 run: no"));
        bool shown = false;
        for (QLabel* l : controls->tasks()->findChildren<QLabel*>())
            shown |= l->text().contains("only 7 run") && l->isVisibleTo(controls->tasks());
        QVERIFY(shown);
    }

    void overloadIsAppliedOnlyOnceConfirmed() {
        MainWindow w(idle());
        auto* controls = child<ControlsPanel>(&w, "controlsPanel");
        controls->setCores(2);
        type(controls->tasks(), "10"); // 10% of 2 cores: no question
        QSignalSpy asked(controls, &ControlsPanel::changeRequested);
        answerOverload(QMessageBox::Cancel);
        type(controls->tasks(), "1000");
        QCOMPARE(asked.count(), 0);
        QCOMPARE(controls->tasks()->value(), QString("10")); // the last accepted value is back
        answerOverload(QMessageBox::Apply);
        type(controls->tasks(), "1000");
        QCOMPARE(asked.count(), 1);
        QCOMPARE(asked.front().at(1).toString(), QString("1000"));
    }

    void settingsNeverRestoreIntoAnOverload() {
        {
            QSettings s;
            s.setValue("controls/tasks", "1000");
            s.setValue("controls/task-work", "20us");
        }
        MainWindow w(idle());
        auto* controls = child<ControlsPanel>(&w, "controlsPanel");
        QCOMPARE(controls->tasks()->value(), QString("0"));
        QTRY_VERIFY(w.findChild<QMessageBox*>("restoreOverloadBox"));
        QVERIFY(w.findChild<QMessageBox*>("restoreOverloadBox")->text().contains("1000 compute tasks"));
        child<QPushButton>(w.findChild<QMessageBox*>("restoreOverloadBox"), "restoreOverloadButton")->click();
        QCOMPARE(controls->tasks()->value(), QString("1000")); // restored, since the user said so
        // What the command line asks for is a choice, and is kept.
        WindowOptions o = idle();
        o.tasks = QStringLiteral("1000");
        MainWindow explicitly(o);
        QCOMPARE(child<ControlsPanel>(&explicitly, "controlsPanel")->tasks()->value(), QString("1000"));
        QVERIFY(!explicitly.findChild<QMessageBox*>("restoreOverloadBox"));
    }

    void starvedPingSaysSo() {
        MainWindow w(idle());
        w.show();
        w.startMeasuring();
        QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Running, 10000);
        // The session ends its run with this reason when the ping stalls (tst_stall_watch).
        w.bridge()->peerLost("ping overloaded: no send for 1.5 s (its compute tasks starve it of CPU)");
        const QString state = child<QLabel>(child<PeerPanel>(&w, "peerPanel"), "stateLabel")->text();
        QVERIFY2(state.startsWith("ping overloaded: no send for 1.5 s"), qPrintable(state));
        QVERIFY2(!state.contains("peer lost"), qPrintable(state));
    }
};

LE_WINDOW_TEST_MAIN(TestOverload)

#include "tst_overload.moc"
