// Overload safety in the window: the tasks control knows the engine's limit and the ping's cores,
// and remembered settings never restart straight into an overload.
#include "main_window.h"

#include "controls_panel.h"
#include "peer_panel.h"
#include "qt_string.h"

#include <QComboBox>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QThread>

void MainWindow::setUpOverloadGuard(bool tasksFromCommandLine) {
    const auto learn = [this] {
        const le::EngineKind engine = m_peer->engine();
        m_controls->setTaskLimit(le::max_tasks(engine), qs(std::string(le::to_string(engine))));
        int cores = QThread::idealThreadCount();
        try {
            if (const auto cpus = m_peer->pingCpus(); !cpus.empty())
                cores = int(cpus.size());
        } catch (const std::exception&) {
            // a bad CPU list is the peer panel's to report; count every core meanwhile
        }
        m_controls->setCores(cores);
    };
    learn();
    connect(m_peer->engineBox(), &QComboBox::currentIndexChanged, this, learn);
    connect(m_peer->pingCpusEdit(), &QLineEdit::editingFinished, this, learn);

    // The command line is an explicit choice; remembered settings are not: a window that quit
    // overloaded would otherwise relaunch straight into it.
    const QString restored = m_controls->tasks()->value();
    if (!tasksFromCommandLine && m_controls->load() > 1) {
        m_controls->tasks()->setValue(QStringLiteral("0"));
        auto* box =
            new QMessageBox(QMessageBox::Warning, tr("Overload not restored"),
                            tr("The last session ended with %1 compute tasks, more CPU than the ping may "
                               "use. This one starts with none.")
                                .arg(restored),
                            QMessageBox::NoButton, this);
        box->setObjectName(QStringLiteral("restoreOverloadBox"));
        box->setAttribute(Qt::WA_DeleteOnClose);
        QPushButton* again = box->addButton(tr("Restore %1 Tasks").arg(restored), QMessageBox::AcceptRole);
        again->setObjectName(QStringLiteral("restoreOverloadButton"));
        box->addButton(tr("Keep None"), QMessageBox::RejectRole);
        connect(again, &QPushButton::clicked, this, [this, restored] {
            m_controls->tasks()->setValue(restored);
            m_controls->syncApplied();
            onChangeRequested(QStringLiteral("tasks"), restored);
        });
        box->setModal(false);
        QMetaObject::invokeMethod(box, &QWidget::show, Qt::QueuedConnection);
    }
    m_controls->syncApplied();
}
