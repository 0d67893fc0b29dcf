package staff

import "golang.org/x/crypto/bcrypt"

// WatchPasswordChecks calls seen with the bcrypt cost of every hash a login
// checks a password against. Call it before the first request.
func WatchPasswordChecks(s *Server, seen func(cost int)) {
	check := s.checkPassword
	s.checkPassword = func(hash, password []byte) error {
		c, err := bcrypt.Cost(hash)
		if err != nil {
			c = -1
		}
		seen(c)
		return check(hash, password)
	}
}
