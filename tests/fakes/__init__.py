"""Local fakes of outside services, spoken to over real HTTP on 127.0.0.1."""
