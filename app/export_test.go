package app

// Helpers of this package's tests for the external ones (package app_test,
// which may import app/api: app itself does not).
var (
	UseTempXDG      = useTempXDG
	StartController = startController
	FakeGGUF        = fakeGGUF
	Loaded          = loaded
	WaitLoad        = waitLoad
)
