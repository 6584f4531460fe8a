"""The shipped process library (BPMN, DMN, JSON-Schema forms) as package data."""
