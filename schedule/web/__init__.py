"""The feed server's web application: the feeds, the patient's page, the health check, and how
uvicorn runs them. Above the use cases (`schedule.services`); below only the command line."""
