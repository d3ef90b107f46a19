"""The web application: assembly, authentication, templates and static files shared by portal and console."""
