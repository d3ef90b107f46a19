"""Naver TalkTalk chatbot API: events in by webhook, answers out through the send API."""
