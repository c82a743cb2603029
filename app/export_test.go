package app

// Routes exposes the routes table to the authorization-matrix test.
func Routes(s *Server) []Route { return s.routes() }
