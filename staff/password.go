package staff

import (
	"errors"
	"fmt"
	"strings"

	"github.com/trustelem/zxcvbn"
)

// minStrength is the least zxcvbn score (0-4) a new password needs: 3 is
// "safely unguessable" (about 10^8 guesses and more), which rules out the
// common passwords of its lists (30,000 from leaks), words, names, dates,
// repetitions (aaaaaaaaaa), sequences (1234567890) and keyboard rows.
const minStrength = 3

// ErrWeakPassword is returned (wrapped, with the reason) for a password
// refused by CheckPassword.
var ErrWeakPassword = errors.New("password refused")

// CheckPassword says why password may not be used by the account of email,
// or returns nil. zxcvbn (Dropbox's estimator, Go port) judges how easy
// it is to guess, also from the e-mail address.
func CheckPassword(password, email string) error {
	if n := len(password); n < MinPassword || n > maxPassword {
		return fmt.Errorf("%w: the password must have %d to %d bytes", ErrWeakPassword, MinPassword, maxPassword)
	}
	local, domain, _ := strings.Cut(strings.ToLower(email), "@")
	if len(local) >= 3 && strings.Contains(strings.ToLower(password), local) {
		return fmt.Errorf("%w: it contains the e-mail address; choose one that does not, for example four unrelated words", ErrWeakPassword)
	}
	inputs := append(strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '-' || r == '_' || r == '+' }), local, domain)
	if zxcvbn.PasswordStrength(password, inputs).Score < minStrength {
		return fmt.Errorf("%w: it is too easy to guess (a common password, a word or name, the e-mail address, a repetition, a sequence or a keyboard row); choose a longer one, for example four unrelated words, or leave it empty to have one generated", ErrWeakPassword)
	}
	return nil
}
