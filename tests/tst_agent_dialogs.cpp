// The agents' dialogs as a user fills them: the ssh launch (refused without a host, remembered for
// the next time, its extra options split like a shell would) and the endpoint's spec, whose
// "Measure its residence" decides whether the split gets the endpoint's side.
#include "agent_dialogs.h"

#include <QtTest>

#include <QApplication>
#include <QCheckBox>
#include <QDialogButtonBox>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTemporaryDir>

class TestAgentDialogs : public QObject {
    Q_OBJECT

private slots:
    void sshDialogFillsTheLaunch();
    void sshOptionsSplitLikeAShell_data();
    void sshOptionsSplitLikeAShell();
    void endpointMeasuresItsResidence_data();
    void endpointMeasuresItsResidence();
};

void TestAgentDialogs::sshDialogFillsTheLaunch() {
    bool emptyHostRefused = false;
    QTimer::singleShot(200, [&] {
        QWidget* d = QApplication::activeModalWidget();
        QVERIFY(d);
        auto* ok = d->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok);
        QTest::mouseClick(ok, Qt::LeftButton); // no host yet: refused in place
        emptyHostRefused = d->isVisible();
        d->findChild<QLineEdit*>("host")->setText(" lab-box ");
        d->findChild<QLineEdit*>("user")->setText("bench");
        d->findChild<QSpinBox*>("port")->setValue(2222);
        d->findChild<QLineEdit*>("remote")->setText("~/bin/latency-pong");
        d->findChild<QLineEdit*>("extra")->setText("-i '/keys/my key' -o ConnectTimeout=3");
        d->findChild<QLineEdit*>("data")->setText("10.0.0.7");
        if (const QString dir = qEnvironmentVariable("LE_SCREENSHOT_DIR"); !dir.isEmpty())
            d->grab().save(dir + "/ssh-dialog.png");
        QTest::mouseClick(ok, Qt::LeftButton);
    });
    const auto target = AgentDialogs::askSsh(nullptr);
    QVERIFY(emptyHostRefused);
    QVERIFY(target && target->ssh);
    QCOMPARE(target->ssh->host, std::string("lab-box"));
    QCOMPARE(target->ssh->user, std::string("bench"));
    QCOMPARE(target->ssh->port, 2222);
    QCOMPARE(target->ssh->remote_pong, std::string("~/bin/latency-pong"));
    QCOMPARE(target->ssh->extra_options,
             (std::vector<std::string>{"-i", "/keys/my key", "-o", "ConnectTimeout=3"}));
    QCOMPARE(target->dataHost, QStringLiteral("10.0.0.7"));
    QCOMPARE(target->name(), QStringLiteral("ssh bench@lab-box"));

    // The next time the form starts from what was typed last.
    QString remembered;
    int rememberedPort = 0;
    QTimer::singleShot(200, [&] {
        QWidget* d = QApplication::activeModalWidget();
        QVERIFY(d);
        remembered =
            d->findChild<QLineEdit*>("host")->text() + "|" + d->findChild<QLineEdit*>("extra")->text();
        rememberedPort = d->findChild<QSpinBox*>("port")->value();
        d->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Cancel)->click();
    });
    QVERIFY(!AgentDialogs::askSsh(nullptr));
    QCOMPARE(remembered, QStringLiteral("lab-box|-i '/keys/my key' -o ConnectTimeout=3"));
    QCOMPARE(rememberedPort, 2222);
}

void TestAgentDialogs::sshOptionsSplitLikeAShell_data() {
    QTest::addColumn<QString>("typed");
    QTest::addColumn<QStringList>("words");
    QTest::newRow("plain") << "-i key  -p 22" << QStringList{"-i", "key", "-p", "22"};
    QTest::newRow("single quotes") << "-i '/a b/c'" << QStringList{"-i", "/a b/c"};
    QTest::newRow("double quotes") << R"(-o "ProxyCommand=nc \"x\" %h")"
                                   << QStringList{"-o", R"(ProxyCommand=nc "x" %h)"};
    QTest::newRow("backslash") << R"(-i /a\ b)" << QStringList{"-i", "/a b"};
    QTest::newRow("empty word") << "-o ''" << QStringList{"-o", ""};
    QTest::newRow("nothing") << "   " << QStringList{};
}

void TestAgentDialogs::sshOptionsSplitLikeAShell() {
    QFETCH(QString, typed);
    QFETCH(QStringList, words);
    QCOMPARE(AgentDialogs::splitOptions(typed), words);
}

void TestAgentDialogs::endpointMeasuresItsResidence_data() {
    QTest::addColumn<bool>("untick");
    QTest::newRow("as offered") << false; // on: the split's peer side is there when asked for
    QTest::newRow("unticked") << true;    // a plain echo
}

void TestAgentDialogs::endpointMeasuresItsResidence() {
    QFETCH(bool, untick);
    bool offeredOn = false;
    QTimer::singleShot(200, [&] {
        QWidget* d = QApplication::activeModalWidget();
        QVERIFY(d);
        auto* box = d->findChild<QCheckBox*>("measureResidenceBox");
        QVERIFY(box);
        offeredOn = box->isChecked();
        if (untick)
            box->click();
        d->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click();
    });
    const auto spec = AgentDialogs::askEndpoint(nullptr);
    QVERIFY(offeredOn);
    QVERIFY(spec);
    QCOMPARE(spec->measure_residence, !untick);
}

int main(int argc, char** argv) {
    // Keep the user's remembered settings out of the tests, and the tests' out of theirs.
    QTemporaryDir config;
    qputenv("XDG_CONFIG_HOME", config.path().toUtf8());
    QApplication app(argc, argv);
    TestAgentDialogs t;
    return QTest::qExec(&t, argc, argv);
}

#include "tst_agent_dialogs.moc"
