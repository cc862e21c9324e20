package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sharjah-handoff/handoff/events"
)

func runDLQ(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf connFlags
	fs := newFlagSet("dlq", "list | replay <seq> [flags]", `Lists the dead letters (messages that could never be processed, with their
reason), or replays one to its original subject once the cause is fixed.
Payloads are not printed: they may hold callers' personal data. Replay works
for messages the broker consumed (requests and Civil Defence updates).`)
	cf.register(fs, "console")
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageErr("say list or replay <seq>")
	}
	js, closeFn, err := connectJS(cf, "handoff-dlq")
	if err != nil {
		return err
	}
	defer closeFn()
	st, err := js.Stream(ctx, events.StreamDeadLetter)
	if err != nil {
		return fmt.Errorf("dead-letter stream: %w", err)
	}
	switch fs.Arg(0) {
	case "list":
		return listDeadLetters(ctx, st, stdout)
	case "replay":
		if fs.NArg() != 2 {
			return usageErr("replay takes one dead-letter sequence number (see 'handoff dlq list')")
		}
		seq, err := strconv.ParseUint(fs.Arg(1), 10, 64)
		if err != nil {
			return usageErr("%q is not a sequence number", fs.Arg(1))
		}
		return replayDeadLetter(ctx, js, st, seq, stdout)
	}
	return usageErr("unknown dlq command %q", fs.Arg(0))
}

func listDeadLetters(ctx context.Context, st jetstream.Stream, w io.Writer) error {
	info, err := st.Info(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tWHEN\tREASON\tFROM\tTYPE\tEVENT ID\tERROR")
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		dl, err := events.ReadDeadLetter(m.Data)
		if err != nil {
			fmt.Fprintf(tw, "%d\t\tunreadable record\t\t\t\t%v\n", seq, err)
			continue
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s/%s\t%s\t%s\t%s\n", seq, dl.DeadLetteredAt.Local().Format(time.DateTime), dl.Reason,
			dl.Stream, dl.Consumer, first(dl.Headers[events.HeaderType]), first(dl.Headers[events.HeaderID]), clip(dl.Error, 80))
	}
	return tw.Flush()
}

func replayDeadLetter(ctx context.Context, js jetstream.JetStream, st jetstream.Stream, seq uint64, w io.Writer) error {
	m, err := st.GetMsg(ctx, seq)
	if err != nil {
		return fmt.Errorf("dead letter %d: %w", seq, err)
	}
	dl, err := events.ReadDeadLetter(m.Data)
	if err != nil {
		return err
	}
	ack, err := events.Replay(ctx, js, dl, seq)
	if err != nil {
		return err
	}
	if ack.Duplicate {
		fmt.Fprintf(w, "dead letter %d was already replayed (stored as %s/%d)\n", seq, ack.Stream, ack.Sequence)
		return nil
	}
	fmt.Fprintf(w, "replayed dead letter %d to %s as %s/%d\n", seq, dl.Subject, ack.Stream, ack.Sequence)
	return nil
}

func first(v []string) string {
	if len(v) == 0 {
		return "-"
	}
	return v[0]
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
