package localesm

import "time"

// pollIdle is the pause between empty short polls.
const pollIdle = 200 * time.Millisecond

var timeAfter = time.After
