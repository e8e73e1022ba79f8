#pragma once

// How the widget tests reach a window's parts: by type and object name with findChild(), the way a
// script would, instead of accessors that exist only for tests.
#include <QList>
#include <QObject>
#include <QString>

// The descendant of `parent` of type T named `name` (any name when null). Stops the test with a
// message when there is none: every step after it would only crash on the null pointer.
template <typename T> T* child(const QObject* parent, const char* name = nullptr) {
    T* found = name ? parent->findChild<T*>(QString::fromLatin1(name)) : parent->findChild<T*>();
    if (!found)
        qFatal("no %s named \"%s\" under %s", T::staticMetaObject.className(), name ? name : "",
               parent->metaObject()->className());
    return found;
}

// Every descendant of `parent` of type T named `name` (a row of check boxes shares one name).
// Stops the test with a message when there is none, as child() does.
template <typename T> QList<T*> allChildren(const QObject* parent, const char* name) {
    const QList<T*> found = parent->findChildren<T*>(QString::fromLatin1(name));
    if (found.isEmpty())
        qFatal("no %s named \"%s\" under %s", T::staticMetaObject.className(), name,
               parent->metaObject()->className());
    return found;
}
