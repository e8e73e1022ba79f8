// Long sessions: nothing lost on quit (the prompt for an unsaved run, the autosaved recovery file,
// and its offer at the next start), and memory that does not grow with the hours.
#include "main_window.h"

#include "overlay_runs.h"
#include "process_memory.h"
#include "qt_string.h"
#include "session_file.h"

#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>

namespace {

QString settingsDir() {
    return QFileInfo(QSettings().fileName()).absolutePath();
}

} // namespace

QString MainWindow::recoveryPath() {
    return settingsDir() + QStringLiteral("/recovery-session.json");
}

QString MainWindow::offeredRecoveryPath() {
    return settingsDir() + QStringLiteral("/recovered-session.json");
}

bool MainWindow::hasUnsavedRun() const {
    const auto run = m_bridge->history();
    return !run->empty() && (m_saved.lock() != run || m_savedCount != run->intervals().size());
}

void MainWindow::setUpRecovery() {
    m_autosave.setInterval(30 * 1000);
    connect(&m_autosave, &QTimer::timeout, this, &MainWindow::autosave);
    m_autosave.start();
    connect(m_bridge, &SessionBridge::stateChanged, this, [this](SessionBridge::State state) {
        if (state == SessionBridge::State::Idle || state == SessionBridge::State::Lost ||
            state == SessionBridge::State::Error)
            autosave();
    });
    // A recovery file at start is a run an earlier window did not save (it crashed, or was killed).
    // It moves aside, so this window's autosave does not overwrite it while it is offered.
    if (QFile::exists(recoveryPath())) {
        QFile::remove(offeredRecoveryPath());
        if (QFile::rename(recoveryPath(), offeredRecoveryPath()))
            QMetaObject::invokeMethod(this, &MainWindow::offerRecovery, Qt::QueuedConnection);
    }
}

void MainWindow::keepMemoryBounded() {
    // Hours of running with worker threads that come and go (core/base/process_memory.h): few
    // arenas, and their free pages handed back on a slow timer of the GUI thread, which can afford
    // the few milliseconds.
    le::tune_malloc_for_long_runs(2);
    m_memoryRelease.setInterval(30 * 1000);
    connect(&m_memoryRelease, &QTimer::timeout, this, [] { le::release_free_memory(); });
    m_memoryRelease.start();
}

void MainWindow::autosave() {
    const auto run = m_bridge->history();
    if (run->empty() || (m_autosaved.lock() == run && m_autosavedCount == run->intervals().size()))
        return;
    try {
        QDir().mkpath(settingsDir());
        le::save_session(recoveryPath().toStdString(), *run);
        m_autosaved = run;
        m_autosavedCount = run->intervals().size();
    } catch (const std::exception& e) {
        statusBar()->showMessage(tr("Autosave failed: %1").arg(qs(e.what())), 8000);
    }
}

bool MainWindow::confirmQuit() {
    if (hasUnsavedRun()) {
        const auto run = m_bridge->history();
        QMessageBox box(
            QMessageBox::Question, tr("Quit Latency Explorer"),
            tr("The run measured over %1 s has not been saved.").arg(run->intervals().back().t_s, 0, 'f', 0),
            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, this);
        box.setObjectName(QStringLiteral("quitBox"));
        box.setInformativeText(tr("Save it before quitting?"));
        box.setDefaultButton(QMessageBox::Save);
        const int choice = box.exec();
        if (choice == QMessageBox::Cancel || choice == QMessageBox::Escape)
            return false;
        if (choice == QMessageBox::Save) {
            const QString path = QFileDialog::getSaveFileName(
                this, tr("Save run"), QStringLiteral("run.json"), tr("Sessions (*.json)"));
            if (path.isEmpty())
                return false;
            if (const QString error = saveSession(path); !error.isEmpty()) {
                showError(tr("Save run"), error);
                return false;
            }
        }
    }
    m_autosave.stop();
    QFile::remove(recoveryPath()); // decided: saved, discarded, or nothing to lose
    return true;
}

void MainWindow::offerRecovery() {
    const QString path = offeredRecoveryPath();
    const QDateTime when = QFileInfo(path).lastModified();
    auto* box = new QMessageBox(QMessageBox::Information, tr("Unsaved run found"),
                                tr("A run measured until %1 was not saved when Latency Explorer last quit.")
                                    .arg(QLocale().toString(when, QLocale::ShortFormat)),
                                QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("recoveryBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton* save = box->addButton(tr("Save As…"), QMessageBox::AcceptRole);
    save->setObjectName(QStringLiteral("recoverSaveButton"));
    QPushButton* show = box->addButton(tr("Show as Overlay"), QMessageBox::ActionRole);
    show->setObjectName(QStringLiteral("recoverShowButton"));
    QPushButton* discard = box->addButton(QMessageBox::Discard);
    discard->setObjectName(QStringLiteral("recoverDiscardButton"));
    connect(save, &QPushButton::clicked, this, [this, path] {
        const QString target = QFileDialog::getSaveFileName(
            this, tr("Save recovered run"), QStringLiteral("recovered.json"), tr("Sessions (*.json)"));
        if (target.isEmpty())
            return;
        QFile::remove(target);
        if (!QFile::rename(path, target) && !QFile::copy(path, target))
            showError(tr("Save recovered run"), tr("cannot write %1").arg(target));
    });
    connect(show, &QPushButton::clicked, this, [this] {
        if (const QString error = showRecoveredRun(); !error.isEmpty())
            showError(tr("Recovered run"), error);
    });
    connect(discard, &QPushButton::clicked, this, [path] { QFile::remove(path); });
    box->setModal(false);
    box->show();
    statusBar()->showMessage(tr("An unsaved run from %1 can be recovered").arg(QLocale().toString(when)),
                             10000);
}

QString MainWindow::showRecoveredRun() {
    return openSession(offeredRecoveryPath());
}
