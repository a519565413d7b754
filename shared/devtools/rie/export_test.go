package rie

// PickPorts lets tests choose the emulator's ports.
var PickPorts = &pickPorts
