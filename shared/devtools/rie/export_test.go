package rie

// PickPorts lets tests choose the emulator's ports.
var PickPorts = &pickPorts

// FreePorts is the real port picker.
var FreePorts = freePorts
