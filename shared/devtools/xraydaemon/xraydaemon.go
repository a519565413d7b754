package xraydaemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"time"

	"github.com/goalrelay/goalrelay/shared/xray"
)

// Daemon is a UDP listener on 127.0.0.1.
type Daemon struct {
	conn *net.UDPConn
}

// Listen starts a Daemon on a free port of 127.0.0.1.
func Listen() (*Daemon, error) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	return &Daemon{conn: conn}, nil
}

// Addr is the listener's address, "127.0.0.1:port".
func (d *Daemon) Addr() string { return d.conn.LocalAddr().String() }

// Close stops the listener.
func (d *Daemon) Close() error { return d.conn.Close() }

// maxRead bounds the datagrams one Read returns.
const maxRead = 1000

// settle is how long Read waits for more once it has want datagrams.
const settle = 100 * time.Millisecond

// Read returns the datagrams received until none has come for quiet, or
// for settle once there are want of them (at most maxRead).
func (d *Daemon) Read(want int, quiet time.Duration) [][]byte {
	var out [][]byte
	buf := make([]byte, xray.MaxDatagram+1)
	for len(out) < maxRead {
		wait := quiet
		if len(out) >= want {
			wait = min(wait, settle)
		}
		_ = d.conn.SetReadDeadline(time.Now().Add(wait))
		n, err := d.conn.Read(buf)
		if err != nil {
			break
		}
		out = append(out, bytes.Clone(buf[:n]))
	}
	return out
}

// Decode reads a datagram: the daemon's header line, then one subsegment
// document as JSON.
func Decode(dgram []byte) (*xray.Subsegment, error) {
	doc, ok := bytes.CutPrefix(dgram, []byte(xray.Header))
	if !ok {
		return nil, fmt.Errorf("datagram without the header line: %.80q", dgram)
	}
	var s xray.Subsegment
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("document is not a subsegment (%v): %.200s", err, doc)
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one document: %.200s", doc)
	}
	return &s, nil
}
