// The window's layout as a user sees it on a small screen: it fits the screen, nothing is clipped
// or squeezed (plots without data, the Sweep placeholder, the peer state after a loss, the agents'
// buttons, a refused rate), the existing peer survives a restart, and the measured threads run
// below the GUI thread. CTest runs it on offscreen screens of 1280x720, 1366x768 and 1920x1080
// (tests/data/screen_*.json), once with QT_SCALE_FACTOR 1.5; LE_LAYOUT_SHOTS=DIR saves a picture of
// each state to look at.
#include "agents_panel.h"
#include "controls_panel.h"
#include "distribution_plot.h"
#include "histogram_plot.h"
#include "log_slider_entry.h"
#include "main_window.h"
#include "own_children.h"
#include "peer_panel.h"
#include "percentile_plot.h"
#include "sweep_plot.h"
#include "sweep_tab.h"
#include "thread_stat.h"
#include "tick_labels.h"
#include "widget_lookup.h"
#include "window_options.h"
#include "window_test_main.h"

#include <QtTest>

#include <QCheckBox>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScreen>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>

#include <csignal>
#include <set>

namespace {

// The nice value of thread `tid` of process `pid`, or -100.
int niceOf(qint64 pid, qint64 tid) {
    return threadStatField(pid, tid, 19);
}

// Nice values of every thread of process `pid`, by thread id.
std::map<qint64, int> threadNices(qint64 pid) {
    return threadStatFields(pid, 19);
}

int countAt(const std::map<qint64, int>& nices, int nice) {
    return int(std::count_if(nices.begin(), nices.end(), [nice](const auto& n) { return n.second == nice; }));
}

// The window as it fits the screen it is on; shown, laid out and painted once.
void showAndSettle(MainWindow& w) {
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QTest::qWait(150); // queued layouts and replots
}

// A label's whole text is on screen: a wrapped one is as high as its text needs at its width,
// a single line as wide.
bool labelWhole(const QLabel* label) {
    if (!label->isVisible())
        return false;
    const QRect r = label->contentsRect();
    if (label->wordWrap())
        return label->heightForWidth(label->width()) <= label->height();
    return label->sizeHint().width() <= label->width() && label->sizeHint().height() <= label->height() + 1 &&
           r.width() > 0;
}

void saveShot(QWidget& w, const QString& name) {
    const QString dir = qEnvironmentVariable("LE_LAYOUT_SHOTS");
    if (dir.isEmpty())
        return;
    QDir().mkpath(dir);
    const QSize s = w.screen()->size();
    w.grab().save(QStringLiteral("%1/%2_%3x%4.png").arg(dir, name).arg(s.width()).arg(s.height()));
}

// `size` (what `what` is) within the screen's available area, or why not.
QString beyond(const QSize& size, const QRect& screen, const char* what) {
    if (size.width() <= screen.width() && size.height() <= screen.height())
        return {};
    return QStringLiteral("%1 %2x%3 on a screen of %4x%5")
        .arg(QLatin1String(what))
        .arg(size.width())
        .arg(size.height())
        .arg(screen.width())
        .arg(screen.height());
}

// The window within the screen's available area, and not asking for more than it has.
void verifyFitsScreen(const MainWindow& w) {
    const QRect screen = w.screen()->availableGeometry();
    const QString problem = beyond(w.frameGeometry().size(), screen, "window") +
                            beyond(w.minimumSizeHint(), screen, "the window needs at least");
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
}

} // namespace

class TestWindowLayout : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { qputenv("LATENCY_PONG", LE_PONG_PATH); }
    void emptyPlotsKeepTheirSize();
    void sweepPlaceholderWhole();
    void measureButtonWhole();
    void rateErrorKeepsThePanel();
    void existingPeerSurvivesARestart();
    void peerLostMessageWhole();
    void measuredThreadsRunBelowTheWindow();
    void runWithoutTasksKeepsItsPriority();
};

void TestWindowLayout::emptyPlotsKeepTheirSize() {
    MainWindow w(childPeerOptions(le::Transport::Tcp, false));
    showAndSettle(w);
    saveShot(w, QStringLiteral("empty"));
    verifyFitsScreen(w);
    for (const char* name : {"histogramPlot", "distributionPlot", "percentilePlot"}) {
        auto* plot = child<QCustomPlot>(&w, name);
        plot->replot();
        const QRect rect = plot->axisRect()->rect();
        QVERIFY2(
            rect.width() >= 150 && rect.height() >= 80,
            qPrintable(QStringLiteral("%1: axis rect %2x%3").arg(name).arg(rect.width()).arg(rect.height())));
        for (const QCPAxis* axis : {plot->xAxis, plot->yAxis}) {
            const QString clash = tickLabelsClash(axis);
            QVERIFY2(clash.isEmpty(), qPrintable(QStringLiteral("%1: %2").arg(name, clash)));
        }
    }
    // The kernel-timestamp split on: its plot beside the curves, both still roomy, the window as small.
    auto* split = child<QCheckBox>(&w, "kernelTimestampsBox");
    QVERIFY(child<QCustomPlot>(&w, "splitPlot")->isHidden());
    split->click();
    QTest::qWait(150);
    saveShot(w, QStringLiteral("split"));
    verifyFitsScreen(w);
    for (const char* name : {"percentilePlot", "splitPlot"}) {
        auto* plot = child<QCustomPlot>(&w, name);
        QVERIFY2(plot->isVisible(), name);
        plot->replot();
        const QRect rect = plot->axisRect()->rect();
        QVERIFY2(
            rect.width() >= 150 && rect.height() >= 80,
            qPrintable(QStringLiteral("%1: axis rect %2x%3").arg(name).arg(rect.width()).arg(rect.height())));
    }
    QVERIFY(labelWhole(child<QLabel>(&w, "stateLabel")));
    split->click();
    QVERIFY(child<QCustomPlot>(&w, "splitPlot")->isHidden());
}

void TestWindowLayout::sweepPlaceholderWhole() {
    MainWindow w(childPeerOptions(le::Transport::Tcp, false));
    w.tabs()->setCurrentWidget(w.sweepTab());
    showAndSettle(w);
    saveShot(w, QStringLiteral("sweep"));
    verifyFitsScreen(w);
    auto* plot = child<SweepPlot>(&w, "sweepPlot");
    plot->replot();
    QCPItemText* placeholder = nullptr;
    for (int i = 0; i < plot->itemCount(); ++i)
        if (auto* text = qobject_cast<QCPItemText*>(plot->item(i));
            text && text->text().startsWith("No sweep"))
            placeholder = text;
    QVERIFY(placeholder);
    QVERIFY(placeholder->visible());
    const QRect area = plot->axisRect()->rect();
    const QRectF drawn(placeholder->topLeft->pixelPosition(), placeholder->bottomRight->pixelPosition());
    QVERIFY2(area.contains(drawn.toAlignedRect()),
             qPrintable(QStringLiteral("placeholder %1 px wide in an axis rect of %2")
                            .arg(drawn.width())
                            .arg(area.width())));
}

void TestWindowLayout::measureButtonWhole() {
    MainWindow w(childPeerOptions(le::Transport::Tcp, false));
    child<QDockWidget>(&w, "peersDock")->raise();
    showAndSettle(w);
    saveShot(w, QStringLiteral("agents"));
    verifyFitsScreen(w);
    auto* agents = child<AgentsPanel>(&w, "agentsPanel");
    QVERIFY(agents->isVisible());
    for (auto* button : agents->findChildren<QPushButton*>()) {
        QVERIFY2(button->width() >= button->sizeHint().width(),
                 qPrintable(QStringLiteral("'%1' is %2 px wide of the %3 its text needs")
                                .arg(button->text())
                                .arg(button->width())
                                .arg(button->sizeHint().width())));
    }
}

void TestWindowLayout::rateErrorKeepsThePanel() {
    MainWindow w(childPeerOptions(le::Transport::Tcp, false));
    showAndSettle(w);
    auto* controls = child<ControlsPanel>(&w, "controlsPanel");
    auto* rate = controls->rate();
    auto* entry = child<QLineEdit>(rate, "entry");
    // Every control of the panel, where it is before the error.
    std::map<QWidget*, QSize> before;
    for (QWidget* part : controls->findChildren<QWidget*>())
        if (part->isVisible())
            before[part] = part->size();
    const int dockWidth = child<QDockWidget>(&w, "controlsDock")->width();
    entry->setFocus();
    entry->selectAll();
    QTest::keyClicks(entry, "12 apples");
    QTest::keyClick(entry, Qt::Key_Return);
    QTest::qWait(100);
    saveShot(w, QStringLiteral("rate_error"));
    QCOMPARE(rate->value(), QStringLiteral("1k")); // refused: the run keeps its rate
    QLabel* error = nullptr;
    for (auto* label : rate->findChildren<QLabel*>())
        if (label->isVisible() && !label->text().isEmpty() && label->styleSheet().contains("d32f2f"))
            error = label;
    QVERIFY2(error, "no reason shown for the refused rate");
    QVERIFY2(labelWhole(error), qPrintable(error->text()));
    QCOMPARE(child<QDockWidget>(&w, "controlsDock")->width(), dockWidth);
    QString squeezed;
    for (const auto& [part, size] : before) {
        if (part->height() < size.height() || part->width() < size.width() - 1)
            squeezed += QStringLiteral("%1 '%2' went from %3x%4 to %5x%6; ")
                            .arg(part->metaObject()->className(), part->objectName())
                            .arg(size.width())
                            .arg(size.height())
                            .arg(part->width())
                            .arg(part->height());
    }
    QVERIFY2(squeezed.isEmpty(), qPrintable(squeezed));
    // The refused text is marked in red, in colours only: a border would change the entry's size.
    const QColor red(0xd3, 0x2f, 0x2f);
    QCOMPARE(entry->palette().color(QPalette::Text), red);
    verifyFitsScreen(w);
    // Escape brings the last valid value back and the reason goes.
    QTest::keyClick(entry, Qt::Key_Escape);
    QCOMPARE(entry->text(), QStringLiteral("1k"));
    QVERIFY(!error->isVisible());
    QVERIFY(entry->palette().color(QPalette::Text) != red);
}

void TestWindowLayout::existingPeerSurvivesARestart() {
    {
        MainWindow w(childPeerOptions(le::Transport::Tcp, false));
        auto* peer = child<PeerPanel>(&w, "peerPanel");
        child<QComboBox>(peer, "modeBox")->setCurrentIndex(int(PeerPanel::Mode::Existing));
        peer->setTransport(le::Transport::Udp);
        child<QLineEdit>(peer, "hostEdit")->setText(QStringLiteral("192.0.2.7"));
        child<QLineEdit>(peer, "portEdit")->setText(QStringLiteral("7811"));
        w.show();
        QVERIFY(w.close()); // nothing measured: no question, the settings are saved
    }
    WindowOptions later; // a plain start, nothing on the command line
    later.autoStart = false;
    MainWindow w(later);
    auto* peer = child<PeerPanel>(&w, "peerPanel");
    QCOMPARE(peer->mode(), PeerPanel::Mode::Existing);
    QCOMPARE(peer->existingPeer().url(), std::string("udp://192.0.2.7:7811"));
    QCOMPARE(child<QLineEdit>(peer, "hostEdit")->text(), QStringLiteral("192.0.2.7"));
    QCOMPARE(child<QLineEdit>(peer, "portEdit")->text(), QStringLiteral("7811"));
    child<QComboBox>(peer, "modeBox")->setCurrentIndex(int(PeerPanel::Mode::Child));
    QVERIFY(w.close()); // the next suite starts with the local pong again
}

void TestWindowLayout::peerLostMessageWhole() {
    MainWindow w(childPeerOptions());
    showAndSettle(w);
    QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Running, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(w.bridge()->history()->intervals().size() >= 3, 5000);
    const QList<qint64> pongs = ownChildren("latency-pong");
    QCOMPARE(pongs.size(), 1);
    ::kill(pid_t(pongs.front()), SIGKILL);
    QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Lost, 5000);
    QTest::qWait(200); // the readout's next refresh
    saveShot(w, QStringLiteral("peer_lost"));
    verifyFitsScreen(w);
    auto* state = child<QLabel>(child<PeerPanel>(&w, "peerPanel"), "stateLabel");
    QVERIFY(state->text().contains("peer lost"));
    QVERIFY2(labelWhole(state), qPrintable(QStringLiteral("'%1': %2x%3 shown, %4 px high needed")
                                               .arg(state->text())
                                               .arg(state->width())
                                               .arg(state->height())
                                               .arg(state->heightForWidth(state->width()))));
    // The status bar's message ends before the live figures begin.
    QStatusBar* bar = w.statusBar();
    const QString message = bar->currentMessage();
    QVERIFY(message.contains("peer lost"));
    int figuresStart = bar->width();
    for (auto* label : bar->findChildren<QLabel*>())
        if (label->isVisible() && !label->text().isEmpty())
            figuresStart = std::min(figuresStart, label->mapTo(bar, QPoint(0, 0)).x());
    const int needed = bar->fontMetrics().horizontalAdvance(message) + 8;
    QVERIFY2(needed <= figuresStart,
             qPrintable(QStringLiteral("the message needs %1 px, the figures begin at %2")
                            .arg(needed)
                            .arg(figuresStart)));
}

void TestWindowLayout::measuredThreadsRunBelowTheWindow() {
    WindowOptions o = childPeerOptions();
    o.tasks = QStringLiteral("3");
    MainWindow w(o);
    w.show();
    QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Running, 10000);
    const qint64 self = QCoreApplication::applicationPid();
    QCOMPARE(niceOf(self, self), 0); // the GUI thread
    // The ping's thread, its collector and its three tasks at least.
    const int measured = countAt(threadNices(self), SessionBridge::kMeasuredNice);
    QVERIFY2(measured >= 5, qPrintable(QString::number(measured)));
    // Exports say so, from what the run recorded where it started its threads.
    const QString nice = QStringLiteral("measured threads nice %1").arg(SessionBridge::kMeasuredNice);
    QVERIFY2(w.exportConditions().line.contains(nice), qPrintable(w.exportConditions().line));
    QCOMPARE(w.bridge()->history()->info().at("nice"), std::to_string(SessionBridge::kMeasuredNice));
    // Tasks added while running are started from the GUI thread, and still run below it.
    QCOMPARE(w.bridge()->apply(QStringLiteral("tasks"), QStringLiteral("6")), QString());
    QTRY_COMPARE_WITH_TIMEOUT(countAt(threadNices(self), SessionBridge::kMeasuredNice), measured + 3, 5000);
    QCOMPARE(niceOf(self, self), 0);
    // The pong child, every thread of it.
    const QList<qint64> pongs = ownChildren("latency-pong");
    QCOMPARE(pongs.size(), 1);
    const std::map<qint64, int> pong = threadNices(pongs.front());
    QVERIFY(!pong.empty());
    QCOMPARE(countAt(pong, SessionBridge::kMeasuredNice), int(pong.size()));
    w.stopMeasuring();
}

void TestWindowLayout::runWithoutTasksKeepsItsPriority() {
    MainWindow w(childPeerOptions()); // no tasks: nothing to overload, nothing lowered
    w.show();
    QTRY_COMPARE_WITH_TIMEOUT(w.bridge()->state(), SessionBridge::State::Running, 10000);
    const qint64 self = QCoreApplication::applicationPid();
    QCOMPARE(countAt(threadNices(self), SessionBridge::kMeasuredNice), 0);
    const QList<qint64> pongs = ownChildren("latency-pong");
    QCOMPARE(pongs.size(), 1);
    QCOMPARE(countAt(threadNices(pongs.front()), 0), int(threadNices(pongs.front()).size()));
    QCOMPARE(w.bridge()->history()->info().at("nice"), std::string("0"));
    QVERIFY2(!w.exportConditions().line.contains("nice"), qPrintable(w.exportConditions().line));
    // Tasks typed in: a new data path at the lower priority, marked as the change it is.
    QLineEdit* entry = child<QLineEdit>(child<ControlsPanel>(&w, "controlsPanel")->tasks(), "entry");
    entry->selectAll();
    QTest::keyClicks(entry, "2");
    QTest::keyClick(entry, Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(
        w.bridge()->state() == SessionBridge::State::Running && w.bridge()->config().tasks == 2, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(countAt(threadNices(self), SessionBridge::kMeasuredNice) >= 3,
                             5000); // ping + 2 tasks
    QCOMPARE(niceOf(self, self), 0);
    QVERIFY2(w.exportConditions().line.contains(
                 QStringLiteral("measured threads nice %1").arg(SessionBridge::kMeasuredNice)),
             qPrintable(w.exportConditions().line));
    const QList<qint64> newPongs = ownChildren("latency-pong");
    QCOMPARE(newPongs.size(), 1);
    QVERIFY(newPongs.front() != pongs.front());
    QCOMPARE(countAt(threadNices(newPongs.front()), SessionBridge::kMeasuredNice),
             int(threadNices(newPongs.front()).size()));
    w.stopMeasuring();
}

LE_WINDOW_TEST_MAIN(TestWindowLayout)
#include "tst_window_layout.moc"
