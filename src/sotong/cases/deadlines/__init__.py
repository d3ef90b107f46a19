"""Statutory deadlines (처리기간): how they are computed (sla.py) from the organisation's set-up, its deadline
policies, closure days and business hours (models.py, actions.py)."""
