#pragma once

#include "clock.h"

#include <QString>

// The compute load the tasks ask for: tasks × work / period, as a share of the cores the ping may
// use (1 = every one of them busy). Above 1 the machine is saturated: the window asks first.
double computeLoad(long long tasks, le::Nanos work, le::Nanos period, int cores);

// "load 20% of 2 cores", "load 1000% of 2 cores (needs 20)".
QString computeLoadText(double load, int cores);
