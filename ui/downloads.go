package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"burrow/internal/units"
	"burrow/models"
)

// NewDownloadsView is the Downloads tab: a Hub search with a curated starter
// list, each result's GGUF files with size, quant and a "fits in memory"
// badge, and the download queue with progress bars, pause/resume/cancel and
// "Load" once a model is in the library. It starts the manager's queue (so
// downloads saved by an earlier run continue) and calls onLoad with the
// model's path when the user presses Load.
func NewDownloadsView(win fyne.Window, m *models.Manager, onLoad func(path string)) fyne.CanvasObject {
	return newDownloadsView(win, m, onLoad).object
}

// downloadsView holds the widgets tests reach into.
type downloadsView struct {
	win    fyne.Window
	m      *models.Manager
	onLoad func(string)
	ctx    context.Context

	search    *widget.Entry
	searchBtn *widget.Button
	status    *widget.Label
	results   *fyne.Container // starter list, search results, file lists
	queue     *fyne.Container
	emptyQ    *widget.Label
	rows      map[string]*jobRow
	object    fyne.CanvasObject

	// Buttons by what they act on, for tests: starters by repo/file, repo
	// "Files" buttons by repo id, file rows by repo/first file.
	starterBtns map[string]*widget.Button
	repoBtns    map[string]*widget.Button
	fileBtns    map[string]*widget.Button
}

func newDownloadsView(win fyne.Window, m *models.Manager, onLoad func(string)) *downloadsView {
	v := &downloadsView{win: win, m: m, onLoad: onLoad, ctx: context.Background(), rows: map[string]*jobRow{},
		starterBtns: map[string]*widget.Button{}, repoBtns: map[string]*widget.Button{}, fileBtns: map[string]*widget.Button{}}
	v.search = widget.NewEntry()
	v.search.SetPlaceHolder("Search Hugging Face for GGUF models (e.g. qwen2.5 instruct)")
	v.search.OnSubmitted = func(string) { v.runSearch() }
	v.searchBtn = widget.NewButtonWithIcon("Search", theme.SearchIcon(), v.runSearch)
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	v.results = container.NewVBox()
	v.queue = container.NewVBox()
	v.emptyQ = widget.NewLabel("No downloads yet. Pick a model above; interrupted downloads continue from where they stopped.")
	v.emptyQ.Wrapping = fyne.TextWrapWord
	v.queue.Add(v.emptyQ)
	v.showStarters()

	top := container.NewBorder(nil, nil, nil, v.searchBtn, v.search)
	queueTitle := widget.NewLabelWithStyle("Downloads", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	split := container.NewVSplit(
		container.NewBorder(container.NewVBox(top, v.status), nil, nil, nil, container.NewVScroll(v.results)),
		container.NewBorder(queueTitle, nil, nil, nil, container.NewVScroll(v.queue)),
	)
	split.Offset = 0.6
	v.object = container.NewPadded(split)

	for _, st := range m.Jobs() {
		v.updateJob(st)
	}
	events, _ := m.Subscribe()
	go func() {
		for st := range events {
			post(func() { v.updateJob(st) })
		}
	}()
	m.Start(v.ctx)
	return v
}

// showStarters lists the curated models (no network until one is chosen).
func (v *downloadsView) showStarters() {
	v.results.RemoveAll()
	v.results.Add(widget.NewLabelWithStyle("Good first models", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	for _, s := range models.Starters {
		s := s
		title := widget.NewLabelWithStyle(s.Title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		info := widget.NewLabel(fmt.Sprintf("%s · about %s · %s", s.Repo, units.Bytes(s.ApproxSize), s.Note))
		info.Truncation = fyne.TextTruncateEllipsis
		btn := widget.NewButtonWithIcon("Download", theme.DownloadIcon(), nil)
		btn.OnTapped = func() { v.addFromHub(s.Repo, s.File, false) }
		v.starterBtns[s.Repo+"/"+s.File] = btn
		v.results.Add(container.NewBorder(nil, nil, nil, container.NewCenter(container.NewHBox(badge(quantOf(s.File), widget.MediumImportance), fitBadge(models.FitFor(s.ApproxSize)), btn)),
			container.NewVBox(title, info)))
	}
	v.results.Refresh()
}

func quantOf(file string) string { return models.ParseFileName(file).Quant }

// runSearch asks the Hub in the background and lists the repos found.
func (v *downloadsView) runSearch() {
	q := strings.TrimSpace(v.search.Text)
	if q == "" {
		v.status.SetText("")
		v.showStarters()
		return
	}
	v.status.SetText("Searching for “" + q + "”…")
	v.searchBtn.Disable()
	go func() {
		ctx, cancel := context.WithTimeout(v.ctx, 30*time.Second)
		defer cancel()
		res, err := v.m.Hub().Search(ctx, q, 30)
		post(func() {
			v.searchBtn.Enable()
			if err != nil {
				v.status.SetText("Search failed: " + err.Error())
				return
			}
			v.showResults(q, res)
		})
	}()
}

func (v *downloadsView) showResults(q string, res []models.RepoInfo) {
	v.results.RemoveAll()
	if len(res) == 0 {
		v.status.SetText("No GGUF models match “" + q + "”.")
		v.results.Refresh()
		return
	}
	noun := "repositories"
	if len(res) == 1 {
		noun = "repository"
	}
	v.status.SetText(fmt.Sprintf("%d %s with GGUF files; open one to see its files.", len(res), noun))
	for _, r := range res {
		r := r
		files := container.NewVBox()
		name := widget.NewLabelWithStyle(r.ID, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		stats := widget.NewLabel(fmt.Sprintf("%s downloads · %d likes", countLabel(r.Downloads), r.Likes))
		var open *widget.Button
		open = widget.NewButtonWithIcon("Files", theme.MenuDropDownIcon(), func() {
			if len(files.Objects) > 0 {
				files.RemoveAll()
				return
			}
			open.Disable()
			v.loadFiles(r.ID, files, open)
		})
		v.repoBtns[r.ID] = open
		v.results.Add(container.NewVBox(container.NewBorder(nil, nil, nil, open, container.NewHBox(name, stats)), files))
	}
	v.results.Refresh()
}

// loadFiles fetches a repo's files and lists one row per model (a split set
// is one row).
func (v *downloadsView) loadFiles(repo string, into *fyne.Container, btn *widget.Button) {
	into.Add(widget.NewLabel("Loading the file list…"))
	go func() {
		ctx, cancel := context.WithTimeout(v.ctx, 30*time.Second)
		defer cancel()
		files, err := v.m.Hub().Files(ctx, repo)
		post(func() {
			btn.Enable()
			into.RemoveAll()
			if err != nil {
				into.Add(errorLabel(err.Error()))
				return
			}
			list := models.Models(files)
			if len(list) == 0 {
				into.Add(widget.NewLabel("No .gguf files in this repository."))
			}
			for _, rm := range list {
				into.Add(v.fileRow(rm))
			}
		})
	}()
}

func (v *downloadsView) fileRow(rm models.RemoteModel) fyne.CanvasObject {
	name := rm.Name
	if len(rm.Files) > 1 {
		name = fmt.Sprintf("%s (+%d more parts)", name, len(rm.Files)-1)
	}
	label := widget.NewLabel(name)
	label.Truncation = fyne.TextTruncateEllipsis
	badges := container.NewHBox()
	if rm.SizeLabel != "" {
		badges.Add(badge(rm.SizeLabel, widget.LowImportance))
	}
	if rm.Quant != "" {
		badges.Add(badge(rm.Quant, widget.MediumImportance))
	}
	badges.Add(widget.NewLabel(units.Bytes(rm.Size)))
	badges.Add(fitBadge(rm.Fit))
	btn := widget.NewButtonWithIcon("Download", theme.DownloadIcon(), func() { v.enqueue(rm, false) })
	v.fileBtns[rm.Repo+"/"+rm.Name] = btn
	return container.NewBorder(nil, nil, nil, container.NewCenter(container.NewHBox(badges, btn)), label)
}

func (v *downloadsView) addFromHub(repo, file string, overwrite bool) {
	v.status.SetText("Looking up " + repo + "…")
	go func() {
		ctx, cancel := context.WithTimeout(v.ctx, 30*time.Second)
		defer cancel()
		_, err := v.m.AddFromHub(ctx, repo, file, overwrite)
		post(func() {
			v.status.SetText("")
			v.handleEnqueueErr(err, func() { v.addFromHub(repo, file, true) })
		})
	}()
}

func (v *downloadsView) enqueue(rm models.RemoteModel, overwrite bool) {
	_, err := v.m.Enqueue(rm, overwrite)
	v.handleEnqueueErr(err, func() { v.enqueue(rm, true) })
}

// handleEnqueueErr asks before replacing a model already downloaded and
// shows every other error.
func (v *downloadsView) handleEnqueueErr(err error, overwrite func()) {
	switch {
	case err == nil:
	case errors.Is(err, models.ErrExists):
		dialog.ShowConfirm("Already downloaded", err.Error()+"\n\nDownload it again and replace it?", func(ok bool) {
			if ok {
				overwrite()
			}
		}, v.win)
	default:
		dialog.ShowError(err, v.win)
	}
}

// jobRow is one download in the queue.
type jobRow struct {
	box     *fyne.Container
	title   *widget.Label
	bar     *widget.ProgressBar
	detail  *widget.Label
	pause   *widget.Button
	resume  *widget.Button
	cancel  *widget.Button
	load    *widget.Button
	clear   *widget.Button
	buttons *fyne.Container
	header  *fyne.Container
	path    string
	state   models.JobState
}

func (v *downloadsView) updateJob(st models.Status) {
	r, ok := v.rows[st.ID]
	if !ok {
		if st.State == models.StateCancelled {
			return
		}
		r = v.newJobRow(st)
		v.rows[st.ID] = r
		v.queue.Remove(v.emptyQ)
		v.queue.Add(r.box)
	}
	if st.State == models.StateCancelled {
		v.queue.Remove(r.box)
		delete(v.rows, st.ID)
		if len(v.rows) == 0 {
			v.queue.Add(v.emptyQ)
		}
		return
	}
	r.path = st.Path
	if st.Total > 0 {
		r.bar.SetValue(float64(st.Bytes) / float64(st.Total))
	}
	r.detail.SetText(jobDetail(st))
	show(r.pause, st.State == models.StateRunning || st.State == models.StateQueued)
	show(r.resume, st.State == models.StatePaused || st.State == models.StateFailed)
	show(r.cancel, st.State != models.StateDone)
	show(r.load, st.State == models.StateDone)
	show(r.clear, st.State == models.StateDone)
	if st.State == models.StateFailed {
		r.resume.SetText("Retry")
	} else {
		r.resume.SetText("Resume")
	}
	r.header.Refresh() // lay out again without the hidden buttons
	r.state = st.State // last: tests poll it from another goroutine
}

func (v *downloadsView) newJobRow(st models.Status) *jobRow {
	r := &jobRow{
		title:  widget.NewLabelWithStyle(st.Repo+" / "+st.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		bar:    widget.NewProgressBar(),
		detail: widget.NewLabel(""),
	}
	r.title.Truncation = fyne.TextTruncateEllipsis
	r.detail.Truncation = fyne.TextTruncateEllipsis
	id := st.ID
	r.pause = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), func() { go v.m.Pause(id) })
	r.resume = widget.NewButtonWithIcon("Resume", theme.MediaPlayIcon(), func() { v.m.Resume(id) })
	r.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		dialog.ShowConfirm("Cancel download", "Stop downloading "+st.Name+" and delete the partial file?", func(ok bool) {
			if ok {
				go v.m.Cancel(id)
			}
		}, v.win)
	})
	r.load = widget.NewButtonWithIcon("Load", theme.MediaPlayIcon(), func() {
		if v.onLoad != nil {
			v.onLoad(r.path)
		}
	})
	r.load.Importance = widget.HighImportance
	r.clear = widget.NewButtonWithIcon("", theme.ContentClearIcon(), func() {
		v.m.Remove(id)
		v.queue.Remove(r.box)
		delete(v.rows, id)
		if len(v.rows) == 0 {
			v.queue.Add(v.emptyQ)
		}
	})
	r.buttons = container.NewHBox(r.pause, r.resume, r.cancel, r.load, r.clear)
	r.header = container.NewBorder(nil, nil, nil, r.buttons, r.title)
	r.box = container.NewVBox(r.header, r.bar, r.detail, widget.NewSeparator())
	return r
}

// jobDetail is the line under a progress bar.
func jobDetail(st models.Status) string {
	amount := fmt.Sprintf("%s of %s", units.Bytes(st.Bytes), units.Bytes(st.Total))
	switch st.State {
	case models.StateRunning:
		if st.Speed > 0 {
			return fmt.Sprintf("%s · %s/s · %s left", amount, units.Bytes(int64(st.Speed)), st.ETA)
		}
		return amount + " · starting…"
	case models.StateQueued:
		return amount + " · waiting"
	case models.StatePaused:
		return amount + " · paused"
	case models.StateFailed:
		return amount + " · failed: " + st.Error
	case models.StateDone:
		return "Done · " + units.Bytes(st.Total) + " · sha256 verified · in the library"
	}
	return amount
}

func show(o fyne.CanvasObject, visible bool) {
	if visible {
		o.Show()
	} else {
		o.Hide()
	}
}

// badge is a short coloured tag (quant, size, fit).
func badge(text string, imp widget.Importance) fyne.CanvasObject {
	if text == "" {
		return container.NewHBox()
	}
	l := widget.NewLabelWithStyle(text, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	l.Importance = imp
	return l
}

// fitBadge says whether a model fits in the memory free now.
func fitBadge(f models.Fit) fyne.CanvasObject {
	switch f {
	case models.FitYes:
		return badge("fits in memory", widget.SuccessImportance)
	case models.FitNo:
		return badge("too big for free memory", widget.WarningImportance)
	}
	return badge("", widget.LowImportance)
}

func errorLabel(text string) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	return l
}

func countLabel(n int64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
