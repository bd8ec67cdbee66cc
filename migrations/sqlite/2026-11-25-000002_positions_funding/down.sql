DROP TABLE funding_rates;
DROP TABLE position_events;
DROP TABLE position_municipalities;
DROP TABLE positions;
