package app

import "atlas/app/access"

// Routes exposes the routes table to the authorization-matrix test.
func Routes(s *Server) []Route { return s.routes() }

// OperationNeeds exposes what starting each operation type needs to the same test.
func OperationNeeds() map[string]access.Capability { return operationNeeds }
